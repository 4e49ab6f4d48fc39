package io.llmsidecar.proxy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code upstream} node: where allowed requests go and with which credentials.
 *
 * @param url                        base URL of the OpenAI-compatible API; {@code /chat/completions} is appended
 * @param modelsUrl                  the gateway's pricing map; by default the base URL without its {@code /v1}
 *                                   plus {@code /models}, as the Unbound gateway serves it
 * @param apiKey                     the gateway key, when given inline ({@code SIDECAR_UPSTREAM_API_KEY})
 * @param apiKeyFile                 a file holding the key, e.g. a mounted Secret; re-read when it changes
 * @param connectTimeout             how long to wait for a TCP (and TLS) connection
 * @param readTimeout                longest silence while waiting for response bytes; for streams this is an idle
 *                                   timeout between chunks, never a limit on the stream's total length
 * @param forwardClientAuthorization explicit pass-through mode: forward the app's own {@code Authorization}
 *                                   instead of the sidecar's key when the app sends one
 * @param defaultMaxTokens           the completion limit the gateway applies when a request sets none (the Unbound
 *                                   gateway: 1000); empty when it lets the model run to its maximum
 * @param anthropicUrl               the gateway's Anthropic Messages endpoint; {@code /count_tokens} is appended for
 *                                   token counting. Default: {@code url} plus {@code /messages}
 * @param anthropicAuth              how the sidecar's key is sent on the Messages API
 * @param forwardHeaders             request headers forwarded besides the built-in allow-list
 *                                   ({@code upstream.forward-headers}): names, or prefixes ending in {@code *}
 */
public record UpstreamConfig(URI url, URI modelsUrl, Optional<String> apiKey, Optional<Path> apiKeyFile,
                             Duration connectTimeout, Duration readTimeout, boolean forwardClientAuthorization,
                             OptionalInt defaultMaxTokens, URI anthropicUrl, AnthropicAuth anthropicAuth,
                             List<String> forwardHeaders) {
    /**
     * The header that carries the sidecar's key to the gateway's Anthropic endpoint: {@code Authorization: Bearer}
     * (gateways such as Unbound, LiteLLM) or {@code x-api-key} (Anthropic's own API and gateways that mimic it).
     */
    public enum AnthropicAuth {
        BEARER("bearer"),
        X_API_KEY("x-api-key");

        private final String configValue;

        AnthropicAuth(String configValue) {
            this.configValue = configValue;
        }

        static AnthropicAuth parse(Config node) {
            String value = ConfigValues.string(node).orElse(BEARER.configValue);
            for (AnthropicAuth auth : values()) {
                if (auth.configValue.equals(value)) {
                    return auth;
                }
            }
            throw ConfigValues.invalid(node, value, "bearer or x-api-key");
        }
    }

    public static final URI DEFAULT_URL = URI.create("https://api.getunbound.ai/v1");
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(300);

    public UpstreamConfig {
        forwardHeaders = List.copyOf(forwardHeaders);
        for (String entry : forwardHeaders) {
            Optional<String> problem = ForwardedHeaders.problem(entry);
            if (problem.isPresent()) {
                throw ConfigValues.invalid("upstream.forward-headers", entry, problem.get());
            }
        }
    }

    public static UpstreamConfig create(Config node) {
        URI url = ConfigValues.httpUri(node.get("url")).orElse(DEFAULT_URL);
        URI models = ConfigValues.httpUri(node.get("models-url")).orElse(defaultModelsUrl(url));
        Optional<String> key = ConfigValues.string(node.get("api-key"));
        Optional<Path> keyFile = ConfigValues.path(node.get("api-key-file"));
        if (key.isPresent() && keyFile.isPresent()) {
            throw new ConfigException("Both upstream.api-key (SIDECAR_UPSTREAM_API_KEY) and upstream.api-key-file "
                                      + "(SIDECAR_UPSTREAM_API_KEY_FILE) are set. Set only one of them.");
        }
        Duration connect = ConfigValues.duration(node.get("connect-timeout"), DEFAULT_CONNECT_TIMEOUT);
        Duration read = ConfigValues.duration(node.get("read-timeout"), DEFAULT_READ_TIMEOUT);
        if (connect.isZero() || read.isZero()) {
            throw ConfigValues.invalid(node.get(connect.isZero() ? "connect-timeout" : "read-timeout"), "0",
                                       "a positive duration such as 5s");
        }
        // 0 (or empty) means none: the gateway lets the model run to its maximum.
        int defaultMax = ConfigValues.integer(node.get("default-max-tokens"), 0, 0, 10_000_000);
        OptionalInt defaultMaxTokens = defaultMax == 0 ? OptionalInt.empty() : OptionalInt.of(defaultMax);
        URI anthropic = ConfigValues.httpUri(node.get("anthropic-url")).orElse(URI.create(url + "/messages"));
        return new UpstreamConfig(url, models, key, keyFile, connect, read,
                                  ConfigValues.bool(node.get("forward-client-authorization"), false),
                                  defaultMaxTokens, anthropic, AnthropicAuth.parse(node.get("anthropic-auth")),
                                  headers(node.get("forward-headers")));
    }

    /** A YAML list, or one comma-separated string (as the environment variable gives it). */
    private static List<String> headers(Config node) {
        List<String> entries = new ArrayList<>();
        if (!node.exists()) {
            return entries;
        }
        if (node.isLeaf()) {
            for (String part : node.asString().orElse("").split(",")) {
                if (!part.isBlank()) {
                    entries.add(part.strip());
                }
            }
        } else {
            node.asList(String.class).orElse(List.of()).forEach(h -> entries.add(h.strip()));
        }
        return entries;
    }

    /** {@code https://host/v1} gives {@code https://host/models}; any other base gets {@code /models} appended. */
    static URI defaultModelsUrl(URI base) {
        String s = base.toString();
        String root = s.endsWith("/v1") ? s.substring(0, s.length() - 3) : s;
        return URI.create(root + "/models");
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "UpstreamConfig[url=" + url + ", modelsUrl=" + modelsUrl + ", apiKey="
               + (apiKey.isPresent() ? "<redacted>" : "<none>") + ", apiKeyFile=" + apiKeyFile.orElse(null)
               + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout
               + ", forwardClientAuthorization=" + forwardClientAuthorization + ", defaultMaxTokens="
               + defaultMaxTokens + ", anthropicUrl=" + anthropicUrl + ", anthropicAuth=" + anthropicAuth
               + ", forwardHeaders=" + forwardHeaders + "]";
    }
}
