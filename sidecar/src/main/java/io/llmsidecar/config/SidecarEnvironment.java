package io.llmsidecar.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The documented {@code SIDECAR_*} environment variables and the configuration keys they set.
 *
 * <p>The mapping is an explicit table rather than Helidon's generic name folding so that README, error messages and
 * behaviour cannot drift apart, and so that a misspelt variable is reported at startup instead of silently ignored.
 */
public final class SidecarEnvironment {
    /** Names an extra YAML file merged over the bundled defaults; not itself a configuration key. */
    public static final String CONFIG_FILE = "SIDECAR_CONFIG";

    private static final Map<String, String> KEYS = buildTable();

    private final Map<String, String> env;

    private SidecarEnvironment(Map<String, String> env) {
        this.env = env;
    }

    public static SidecarEnvironment of(Map<String, String> env) {
        return new SidecarEnvironment(Map.copyOf(env));
    }

    public static SidecarEnvironment system() {
        return of(System.getenv());
    }

    /** The configuration keys set through environment variables, ready to be used as the highest-priority source. */
    public Map<String, String> overrides() {
        Map<String, String> result = new LinkedHashMap<>();
        KEYS.forEach((variable, key) -> {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                result.put(key, value.strip());
            }
        });
        return result;
    }

    public Optional<String> get(String variable) {
        return Optional.ofNullable(env.get(variable)).filter(v -> !v.isBlank());
    }

    /** {@code SIDECAR_*} variables that are set but mean nothing to the sidecar: almost always a typo. */
    public Set<String> unknownVariables() {
        Set<String> unknown = new TreeSet<>();
        for (String name : env.keySet()) {
            if (name.startsWith("SIDECAR_") && !KEYS.containsKey(name) && !name.equals(CONFIG_FILE)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    /** The environment variable that sets {@code key}, for error messages. */
    public static Optional<String> variableFor(String key) {
        return KEYS.entrySet().stream().filter(e -> e.getValue().equals(key)).map(Map.Entry::getKey).findFirst();
    }

    /** Every documented variable and its key, in documentation order. */
    public static Map<String, String> table() {
        return KEYS;
    }

    private static Map<String, String> buildTable() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("SIDECAR_HOST", "server.host");
        m.put("SIDECAR_PORT", "server.port");
        m.put("SIDECAR_MAX_BODY_SIZE", "server.max-body-size");
        m.put("SIDECAR_MAX_INFLIGHT_BODY_BYTES", "server.max-inflight-body-bytes");
        m.put("SIDECAR_INFLIGHT_BODY_WAIT", "server.inflight-body-wait");
        m.put("SIDECAR_PASSTHROUGH_ROUTES", "server.passthrough-routes");
        m.put("SIDECAR_ACCESS_LOG", "server.access-log");
        m.put("SIDECAR_DRAIN_DELAY", "server.drain-delay");
        m.put("SIDECAR_DRAIN_TIMEOUT", "server.drain-timeout");
        m.put("SIDECAR_TERMINATION_GRACE_PERIOD", "server.termination-grace-period");
        m.put("SIDECAR_ADMIN_HOST", "admin.host");
        m.put("SIDECAR_ADMIN_PORT", "admin.port");
        m.put("SIDECAR_ADMIN_TOKEN", "admin.token");
        m.put("SIDECAR_ADMIN_TOKEN_FILE", "admin.token-file");
        m.put("SIDECAR_UPSTREAM_URL", "upstream.url");
        m.put("SIDECAR_UPSTREAM_MODELS_URL", "upstream.models-url");
        m.put("SIDECAR_UPSTREAM_API_KEY", "upstream.api-key");
        m.put("SIDECAR_UPSTREAM_API_KEY_FILE", "upstream.api-key-file");
        m.put("SIDECAR_UPSTREAM_CONNECT_TIMEOUT", "upstream.connect-timeout");
        m.put("SIDECAR_UPSTREAM_READ_TIMEOUT", "upstream.read-timeout");
        m.put("SIDECAR_UPSTREAM_DEFAULT_MAX_TOKENS", "upstream.default-max-tokens");
        m.put("SIDECAR_UPSTREAM_ANTHROPIC_URL", "upstream.anthropic-url");
        m.put("SIDECAR_UPSTREAM_ANTHROPIC_AUTH", "upstream.anthropic-auth");
        m.put("SIDECAR_FORWARD_CLIENT_AUTH", "upstream.forward-client-authorization");
        m.put("SIDECAR_UPSTREAM_FORWARD_HEADERS", "upstream.forward-headers");
        m.put("SIDECAR_PRICING_REFRESH", "pricing.refresh-interval");
        m.put("SIDECAR_TEAM", "identity.team");
        m.put("SIDECAR_TRUST_TEAM_HEADER", "identity.trust-team-header");
        m.put("SIDECAR_POD_NAMESPACE", "identity.namespace");
        m.put("SIDECAR_POD_NAME", "identity.pod");
        m.put("SIDECAR_POD_SERVICE_ACCOUNT", "identity.service-account");
        m.put("SIDECAR_POD_APP", "identity.app");
        m.put("SIDECAR_REDIS_URI", "budget-store.redis-uri");
        m.put("SIDECAR_REDIS_CLUSTER", "budget-store.cluster");
        m.put("SIDECAR_BUDGET_FAILURE_MODE", "budget-store.failure-mode");
        m.put("SIDECAR_BUDGET_RESERVATION_TTL", "budget-store.reservation-ttl");
        m.put("SIDECAR_REDIS_TIMEOUT", "budget-store.command-timeout");
        m.put("SIDECAR_BUDGET_KEY_PREFIX", "budget-store.key-prefix");
        m.put("SIDECAR_BUDGET_EXPIRED_RESERVATIONS", "budget-store.expired-reservations");
        m.put("SIDECAR_BUDGET_LEDGER_FILE", "budget-store.ledger-file");
        m.put("SIDECAR_POLICY_ENABLED", "policy.enabled");
        m.put("SIDECAR_POLICY_DIR", "policy.dir");
        m.put("SIDECAR_POLICY_BUNDLE", "policy.bundle");
        m.put("SIDECAR_POLICY_BUNDLE_URL", "policy.bundle-url");
        m.put("SIDECAR_POLICY_BUNDLE_TOKEN_FILE", "policy.bundle-token-file");
        m.put("SIDECAR_POLICY_BUNDLE_POLL_INTERVAL", "policy.bundle-poll-interval");
        m.put("SIDECAR_POLICY_BUNDLE_VERIFICATION_KEY", "policy.bundle-verification-key");
        m.put("SIDECAR_POLICY_BUNDLE_VERIFICATION_KEY_ID", "policy.bundle-verification-key-id");
        m.put("SIDECAR_POLICY_BUNDLE_VERIFICATION_ALGORITHM", "policy.bundle-verification-algorithm");
        m.put("SIDECAR_POLICY_BUNDLE_VERIFICATION_SCOPE", "policy.bundle-verification-scope");
        m.put("SIDECAR_OPA_BIN", "policy.opa-bin");
        m.put("SIDECAR_SHADOW_POLICY_DIR", "policy.shadow-dir");
        m.put("SIDECAR_SHADOW_POLICY_BUNDLE", "policy.shadow-bundle");
        m.put("SIDECAR_POLICY_FAILURE_MODE", "policy.failure-mode");
        m.put("SIDECAR_POLICY_TIMEOUT", "policy.evaluation-timeout");
        m.put("SIDECAR_POLICY_POOL_SIZE", "policy.pool-size");
        m.put("SIDECAR_DECISION_LOG", "policy.decision-log");
        m.put("SIDECAR_DECISION_LOG_MESSAGES", "policy.log-message-contents");
        m.put("SIDECAR_DECISION_LOG_TOKEN_FILE", "policy.decision-log-token-file");
        m.put("SIDECAR_DECISION_LOG_BUFFER_EVENTS", "policy.decision-log-buffer-events");
        m.put("SIDECAR_DECISION_LOG_BUFFER_SIZE", "policy.decision-log-buffer-size");
        m.put("SIDECAR_DECISION_LOG_UPLOAD_INTERVAL", "policy.decision-log-upload-interval");
        m.put("SIDECAR_POLICY_DETECTORS_PII", "policy.detectors.pii");
        m.put("SIDECAR_TRACING_FORWARD_TRACESTATE", "tracing.forward-tracestate");
        // Traces: OpenTelemetry's standard variables, not SIDECAR_*, so that a pod's usual OTEL_* settings apply.
        m.put("OTEL_SDK_DISABLED", "tracing.sdk-disabled");
        m.put("OTEL_TRACES_EXPORTER", "tracing.exporter");
        m.put("OTEL_EXPORTER_OTLP_ENDPOINT", "tracing.otlp.endpoint");
        m.put("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "tracing.otlp.traces-endpoint");
        m.put("OTEL_EXPORTER_OTLP_PROTOCOL", "tracing.otlp.protocol");
        m.put("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "tracing.otlp.traces-protocol");
        m.put("OTEL_EXPORTER_OTLP_HEADERS", "tracing.otlp.headers");
        m.put("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "tracing.otlp.traces-headers");
        m.put("OTEL_EXPORTER_OTLP_TIMEOUT", "tracing.otlp.timeout");
        m.put("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "tracing.otlp.traces-timeout");
        m.put("OTEL_EXPORTER_OTLP_COMPRESSION", "tracing.otlp.compression");
        m.put("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "tracing.otlp.traces-compression");
        m.put("OTEL_SERVICE_NAME", "tracing.service-name");
        m.put("OTEL_RESOURCE_ATTRIBUTES", "tracing.resource-attributes");
        m.put("OTEL_TRACES_SAMPLER", "tracing.sampler");
        m.put("OTEL_TRACES_SAMPLER_ARG", "tracing.sampler-arg");
        m.put("OTEL_BSP_SCHEDULE_DELAY", "tracing.batch.schedule-delay");
        m.put("OTEL_BSP_EXPORT_TIMEOUT", "tracing.batch.export-timeout");
        m.put("OTEL_BSP_MAX_QUEUE_SIZE", "tracing.batch.max-queue-size");
        m.put("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "tracing.batch.max-export-batch-size");
        // Injector mode only (`llm-sidecar.jar inject`): the webhook and the sidecar it adds to pods.
        m.put("SIDECAR_INJECT_HOST", "inject.host");
        m.put("SIDECAR_INJECT_PORT", "inject.port");
        m.put("SIDECAR_INJECT_TLS_CERT", "inject.tls-cert");
        m.put("SIDECAR_INJECT_TLS_KEY", "inject.tls-key");
        m.put("SIDECAR_INJECT_TLS_RELOAD_INTERVAL", "inject.tls-reload-interval");
        m.put("SIDECAR_INJECT_IMAGE", "inject.sidecar.image");
        m.put("SIDECAR_INJECT_IMAGE_PULL_POLICY", "inject.sidecar.image-pull-policy");
        m.put("SIDECAR_INJECT_NATIVE_SIDECAR", "inject.sidecar.native");
        m.put("SIDECAR_INJECT_PROXY_PORT", "inject.sidecar.proxy-port");
        m.put("SIDECAR_INJECT_ADMIN_PORT", "inject.sidecar.admin-port");
        m.put("SIDECAR_INJECT_SECRET_NAME", "inject.sidecar.secret-name");
        m.put("SIDECAR_INJECT_SECRET_KEY", "inject.sidecar.secret-key");
        m.put("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME", "inject.sidecar.admin-token-secret-name");
        m.put("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_KEY", "inject.sidecar.admin-token-secret-key");
        m.put("SIDECAR_INJECT_POLICY_CONFIG_MAP", "inject.sidecar.policy-config-map");
        m.put("SIDECAR_INJECT_POLICY_OPS_SECRET_NAME", "inject.sidecar.policy-ops-secret-name");
        m.put("SIDECAR_INJECT_CONFIG_CONFIG_MAP", "inject.sidecar.config-config-map");
        m.put("SIDECAR_INJECT_CPU_REQUEST", "inject.sidecar.cpu-request");
        m.put("SIDECAR_INJECT_MEMORY_REQUEST", "inject.sidecar.memory-request");
        m.put("SIDECAR_INJECT_CPU_LIMIT", "inject.sidecar.cpu-limit");
        m.put("SIDECAR_INJECT_MEMORY_LIMIT", "inject.sidecar.memory-limit");
        m.put("SIDECAR_INJECT_RUN_AS_USER", "inject.sidecar.run-as-user");
        return Collections.unmodifiableMap(m);
    }
}
