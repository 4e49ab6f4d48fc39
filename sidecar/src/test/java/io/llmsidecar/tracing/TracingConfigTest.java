package io.llmsidecar.tracing;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The standard OTEL_* variables as the sidecar reads them, and the messages that name a bad one. */
class TracingConfigTest {
    private static TracingConfig config(Map<String, String> env) {
        return TracingConfig.create(ConfigLoader.load(SidecarEnvironment.of(env)).get("tracing"));
    }

    @Test
    void withoutAnEndpointNothingIsExported() {
        TracingConfig c = config(Map.of());
        assertFalse(c.exporting());
        assertEquals("llm-sidecar", c.serviceName());
        assertEquals(TracingConfig.Sampler.PARENT_BASED_ALWAYS_ON, c.sampler());
        assertEquals(2048, c.maxQueueSize());
        assertFalse(c.forwardTracestate());
    }

    @Test
    void theBaseEndpointGetsTheTracesPathAndTheTracesEndpointIsUsedAsItIs() {
        assertEquals(Optional.of(URI.create("http://collector:4318/v1/traces")),
                     config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")).tracesEndpoint());
        assertEquals(Optional.of(URI.create("https://c.example/otlp/v1/traces")),
                     config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example/otlp")).tracesEndpoint());
        assertEquals(Optional.of(URI.create("http://other:9999/custom")),
                     config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                                   "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:9999/custom"))
                             .tracesEndpoint());
    }

    @Test
    void theStandardVariablesAreRead() {
        TracingConfig c = config(Map.ofEntries(
                Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
                Map.entry("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret,tenant=a"),
                Map.entry("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "tenant=b"),
                Map.entry("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
                Map.entry("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                Map.entry("OTEL_SERVICE_NAME", "payments-llm"),
                Map.entry("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=pay,deployment.environment=prod"),
                Map.entry("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                Map.entry("OTEL_TRACES_SAMPLER_ARG", "0.25"),
                Map.entry("OTEL_BSP_SCHEDULE_DELAY", "200"),
                Map.entry("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
                Map.entry("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "50")));
        assertTrue(c.exporting());
        assertEquals(Map.of("api-key", "s=cret", "tenant", "b"), c.headers());
        assertEquals(Duration.ofMillis(2500), c.timeout());
        assertTrue(c.gzip());
        assertEquals("payments-llm", c.serviceName());
        assertEquals(Map.of("k8s.namespace.name", "pay", "deployment.environment", "prod"), c.resource());
        assertEquals(TracingConfig.Sampler.PARENT_BASED_TRACE_ID_RATIO, c.sampler());
        assertEquals(0.25, c.ratio());
        assertEquals(Duration.ofMillis(200), c.scheduleDelay());
        assertEquals(100, c.maxQueueSize());
        assertEquals(50, c.maxBatchSize());
    }

    @Test
    void exporterNoneOrTheSdkDisabledTurnExportOffButNotPropagation() {
        assertFalse(config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_TRACES_EXPORTER", "none"))
                            .exporting());
        assertFalse(config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", "OTEL_SDK_DISABLED", "true"))
                            .exporting());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "OTEL_EXPORTER_OTLP_ENDPOINT|collector:4318|tracing.otlp.endpoint",
            "OTEL_EXPORTER_OTLP_ENDPOINT|ftp://collector:4318|tracing.otlp.endpoint",
            "OTEL_EXPORTER_OTLP_PROTOCOL|grpc|tracing.otlp.protocol",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL|http/json|tracing.otlp.traces-protocol",
            "OTEL_TRACES_EXPORTER|zipkin|tracing.exporter",
            "OTEL_TRACES_EXPORTER|otlp|tracing.exporter",
            "OTEL_TRACES_SAMPLER|sometimes|tracing.sampler",
            "OTEL_TRACES_SAMPLER_ARG|1.5|tracing.sampler-arg",
            "OTEL_EXPORTER_OTLP_TIMEOUT|0|tracing.otlp.timeout",
            "OTEL_EXPORTER_OTLP_TIMEOUT|soon|tracing.otlp.timeout",
            "OTEL_EXPORTER_OTLP_COMPRESSION|zstd|tracing.otlp.compression",
            "OTEL_BSP_MAX_QUEUE_SIZE|0|tracing.batch.max-queue-size",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE|4096|tracing.batch.max-export-batch-size",
            "OTEL_SDK_DISABLED|maybe|tracing.sdk-disabled",
            "SIDECAR_TRACING_FORWARD_TRACESTATE|maybe|tracing.forward-tracestate"})
    void aBadValueStopsStartupNamingTheKeyAndTheVariable(String variable, String value, String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of(variable, value)));
        assertTrue(e.getMessage().startsWith("Invalid configuration '" + key + "' (environment variable " + variable
                                             + "): got '"), e.getMessage());
    }

    @Test
    void aMalformedHeaderListNamesTheVariableButNotTheValueWhichMayBeACredential() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> config(Map.of("OTEL_EXPORTER_OTLP_HEADERS", "Bearer sk-secret-token")));
        assertTrue(e.getMessage().contains("OTEL_EXPORTER_OTLP_HEADERS"), e.getMessage());
        assertFalse(e.getMessage().contains("sk-secret-token"), e.getMessage());
    }
}
