package io.llmsidecar.tracing;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code tracing} node, set by OpenTelemetry's standard {@code OTEL_*} variables (the table in
 * {@link io.llmsidecar.config.SidecarEnvironment}). Spans are exported only when an OTLP endpoint is set; without
 * one the sidecar still continues the app's W3C trace context to the gateway, at no cost beyond the header.
 *
 * @param tracesEndpoint   where spans are posted (OTLP over HTTP/protobuf); empty: nothing is exported
 * @param headers          headers sent with every export (a collector's credentials); never logged
 * @param timeout          longest one export may take
 * @param gzip             whether exports are gzip-compressed
 * @param serviceName      the resource's {@code service.name}
 * @param resource         further resource attributes
 * @param sampler          how traces are sampled
 * @param ratio            the fraction of new traces kept by the ratio samplers
 * @param scheduleDelay    longest a finished span waits in the queue before its batch is sent
 * @param exportTimeout    longest the batch processor waits for one export
 * @param maxQueueSize     finished spans held at most while the collector is slow or away; more are dropped
 *                         (counted in {@code llm_sidecar_trace_spans_dropped_total}), never waited for
 * @param maxBatchSize     spans per export at most
 * @param forwardTracestate whether the app's {@code tracestate} reaches the gateway; off by default, because it is
 *                         free-form vendor data (up to 32 entries of 256 characters) the detectors never scan
 */
public record TracingConfig(Optional<URI> tracesEndpoint, Map<String, String> headers, Duration timeout, boolean gzip,
                            String serviceName, Map<String, String> resource, Sampler sampler, double ratio,
                            Duration scheduleDelay, Duration exportTimeout, int maxQueueSize, int maxBatchSize,
                            boolean forwardTracestate) {
    public static final String DEFAULT_SERVICE_NAME = "llm-sidecar";
    /** The OTLP/HTTP path for traces below {@code OTEL_EXPORTER_OTLP_ENDPOINT}, as the specification says. */
    static final String TRACES_PATH = "/v1/traces";

    /** OpenTelemetry's standard samplers ({@code OTEL_TRACES_SAMPLER}). */
    public enum Sampler {
        ALWAYS_ON("always_on"),
        ALWAYS_OFF("always_off"),
        TRACE_ID_RATIO("traceidratio"),
        PARENT_BASED_ALWAYS_ON("parentbased_always_on"),
        PARENT_BASED_ALWAYS_OFF("parentbased_always_off"),
        PARENT_BASED_TRACE_ID_RATIO("parentbased_traceidratio");

        private final String value;

        Sampler(String value) {
            this.value = value;
        }

        static Optional<Sampler> of(String value) {
            for (Sampler s : values()) {
                if (s.value.equals(value.toLowerCase(Locale.ROOT))) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    public TracingConfig {
        headers = Map.copyOf(headers);
        resource = Map.copyOf(resource);
    }

    /** Nothing exported: propagation only. */
    public static TracingConfig off() {
        return new TracingConfig(Optional.empty(), Map.of(), Duration.ofSeconds(10), false, DEFAULT_SERVICE_NAME,
                                 Map.of(), Sampler.PARENT_BASED_ALWAYS_ON, 1.0, Duration.ofSeconds(5),
                                 Duration.ofSeconds(30), 2048, 512, false);
    }

    public boolean exporting() {
        return tracesEndpoint.isPresent();
    }

    public static TracingConfig create(Config node) {
        boolean disabled = ConfigValues.bool(node.get("sdk-disabled"), false);
        String exporter = ConfigValues.string(node.get("exporter"), "").toLowerCase(Locale.ROOT);
        if (!exporter.isEmpty() && !exporter.equals("otlp") && !exporter.equals("none")) {
            throw ConfigValues.invalid(node.get("exporter"), exporter, "otlp or none (the sidecar exports spans "
                                                                      + "over OTLP only)");
        }
        for (String key : new String[] {"protocol", "traces-protocol"}) {
            String protocol = ConfigValues.string(node.get("otlp").get(key), "http/protobuf");
            if (!protocol.equals("http/protobuf")) {
                throw ConfigValues.invalid(node.get("otlp").get(key), protocol,
                                           "http/protobuf (the sidecar exports over OTLP/HTTP only; point it at the "
                                           + "collector's HTTP port, usually 4318)");
            }
        }
        Config otlp = node.get("otlp");
        Optional<URI> endpoint = endpoint(otlp.get("traces-endpoint"), false)
                .or(() -> endpoint(otlp.get("endpoint"), true));
        if (exporter.equals("otlp") && endpoint.isEmpty() && !disabled) {
            throw ConfigValues.invalid(node.get("exporter"), exporter,
                                       "none, or otlp together with OTEL_EXPORTER_OTLP_ENDPOINT (the collector's "
                                       + "OTLP/HTTP address, such as http://otel-collector:4318)");
        }
        if (disabled || exporter.equals("none")) {
            endpoint = Optional.empty();
        }
        Map<String, String> headers = new LinkedHashMap<>(pairs(otlp.get("headers"), true));
        headers.putAll(pairs(otlp.get("traces-headers"), true));
        Duration timeout = millis(otlp.get("traces-timeout"))
                .or(() -> millis(otlp.get("timeout"))).orElse(Duration.ofSeconds(10));
        boolean gzip = compression(otlp.get("traces-compression"))
                .or(() -> compression(otlp.get("compression"))).orElse(false);
        String sampler = ConfigValues.string(node.get("sampler"), "parentbased_always_on");
        Sampler kind = Sampler.of(sampler).orElseThrow(() -> ConfigValues.invalid(
                node.get("sampler"), sampler, "one of always_on, always_off, traceidratio, parentbased_always_on, "
                                              + "parentbased_always_off, parentbased_traceidratio"));
        double ratio = ratio(node.get("sampler-arg"));
        Config batch = node.get("batch");
        int queue = ConfigValues.integer(batch.get("max-queue-size"), 2048, 1, 1_000_000);
        int batchSize = ConfigValues.integer(batch.get("max-export-batch-size"), 512, 1, 1_000_000);
        if (batchSize > queue) {
            throw ConfigValues.invalid(batch.get("max-export-batch-size"), String.valueOf(batchSize),
                                       "at most the queue size (OTEL_BSP_MAX_QUEUE_SIZE, " + queue + ")");
        }
        Map<String, String> resource = pairs(node.get("resource-attributes"), true);
        String service = ConfigValues.string(node.get("service-name"))
                .or(() -> Optional.ofNullable(resource.get("service.name")))
                .orElse(DEFAULT_SERVICE_NAME);
        return new TracingConfig(endpoint, headers, timeout, gzip, service, resource, kind, ratio,
                                 millis(batch.get("schedule-delay")).orElse(Duration.ofSeconds(5)),
                                 millis(batch.get("export-timeout")).orElse(Duration.ofSeconds(30)),
                                 queue, batchSize, ConfigValues.bool(node.get("forward-tracestate"), false));
    }

    /**
     * An http(s) URL. {@code OTEL_EXPORTER_OTLP_ENDPOINT} is a base to which {@code /v1/traces} is appended;
     * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} is used as it is.
     */
    private static Optional<URI> endpoint(Config node, boolean base) {
        return ConfigValues.string(node).map(v -> {
            try {
                URI uri = new URI(v);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
                    throw ConfigValues.invalid(node, v, "an http:// or https:// URL of an OTLP/HTTP collector, such "
                                                        + "as http://otel-collector:4318");
                }
                if (!base) {
                    return uri;
                }
                String path = uri.getRawPath() == null ? "" : uri.getRawPath();
                return URI.create(scheme + "://" + uri.getRawAuthority()
                                  + (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + TRACES_PATH);
            } catch (URISyntaxException e) {
                throw ConfigValues.invalid(node, v, "an http:// or https:// URL of an OTLP/HTTP collector, such as "
                                                    + "http://otel-collector:4318");
            }
        });
    }

    /** {@code key=value} pairs separated by commas, values percent-encoded (the W3C Baggage form the spec uses). */
    static Map<String, String> pairs(Config node, boolean decode) {
        Map<String, String> result = new LinkedHashMap<>();
        Optional<String> raw = ConfigValues.string(node);
        if (raw.isEmpty()) {
            return result;
        }
        for (String pair : raw.get().split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? "" : pair.substring(0, eq).strip();
            if (key.isEmpty()) {
                // The value may be a credential: the message names the variable, not what it holds.
                throw ConfigValues.invalid(node, "(not shown)", "comma-separated key=value pairs, such as "
                                                                + "api-key=secret,tenant=a");
            }
            String value = pair.substring(eq + 1).strip();
            try {
                result.put(key, decode ? URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8)
                                       : value);
            } catch (IllegalArgumentException e) {
                throw ConfigValues.invalid(node, "(not shown)", "percent-encoded values (%20, not a lone %)");
            }
        }
        return result;
    }

    /** OpenTelemetry's durations are integer milliseconds; the sidecar's own forms ({@code 5s}) are accepted too. */
    private static Optional<Duration> millis(Config node) {
        return ConfigValues.string(node).map(v -> {
            Duration d;
            if (v.chars().allMatch(Character::isDigit)) {
                try {
                    d = Duration.ofMillis(Long.parseLong(v));
                } catch (NumberFormatException e) {
                    throw ConfigValues.invalid(node, v, "a number of milliseconds such as 10000");
                }
            } else {
                d = ConfigValues.duration(node, Duration.ZERO);
            }
            if (d.isZero() || d.isNegative() || d.compareTo(Duration.ofMinutes(10)) > 0) {
                throw ConfigValues.invalid(node, v, "a number of milliseconds from 1 to 600000, such as 10000");
            }
            return d;
        });
    }

    private static Optional<Boolean> compression(Config node) {
        return ConfigValues.string(node).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "gzip" -> true;
            case "none" -> false;
            default -> throw ConfigValues.invalid(node, v, "gzip or none");
        });
    }

    private static double ratio(Config node) {
        return ConfigValues.string(node).map(v -> {
            try {
                double r = Double.parseDouble(v);
                if (!(r >= 0 && r <= 1)) {
                    throw ConfigValues.invalid(node, v, "a fraction from 0 to 1, such as 0.25");
                }
                return r;
            } catch (NumberFormatException e) {
                throw ConfigValues.invalid(node, v, "a fraction from 0 to 1, such as 0.25");
            }
        }).orElse(1.0);
    }
}
