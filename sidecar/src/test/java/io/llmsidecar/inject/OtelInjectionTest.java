package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import io.llmsidecar.metrics.InjectorMetrics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.llmsidecar.inject.Reviews.apply;
import static io.llmsidecar.inject.Reviews.env;
import static io.llmsidecar.inject.Reviews.patch;
import static io.llmsidecar.inject.Reviews.review;
import static io.llmsidecar.inject.Reviews.toBytes;
import static io.llmsidecar.inject.Reviews.withAnnotation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The injected sidecar gets the standard OTEL_* variables: from the namespace's optional {@code llm-sidecar-otel}
 * ConfigMap, and from the pod's {@code llm-sidecar.io/OTEL_*} annotations, which win.
 */
class OtelInjectionTest {
    private static final SidecarSpec SPEC = InjectConfig.create(ConfigLoader.load(SidecarEnvironment.of(Map.of(
            "SIDECAR_INJECT_TLS_CERT", "/tls/tls.crt",
            "SIDECAR_INJECT_TLS_KEY", "/tls/tls.key",
            "SIDECAR_INJECT_IMAGE", "registry.example.com/llm-sidecar:0.1.0")).overrides(), Optional.empty())
                                                                        .get("inject")).sidecar();

    private static JsonNode answer(ObjectNode review) {
        return Reviews.read(new AdmissionHandler(new PodMutator(SPEC, "t"), Reviews.JSON,
                                                 new InjectorMetrics("t", AdmissionOutcome.labels()))
                                    .review(toBytes(review), false));
    }

    private static JsonNode sidecar(ObjectNode review) {
        JsonNode pod = apply(review, patch(answer(review)).orElseThrow());
        return pod.path("spec").path("initContainers").get(0);
    }

    @Test
    void everySidecarLoadsTheNamespacesOptionalOtelConfigMap() {
        JsonNode sidecar = sidecar(review("review-deployment-pod.json"));
        assertEquals("llm-sidecar", sidecar.path("name").asText());
        JsonNode from = sidecar.path("envFrom");
        assertEquals(1, from.size());
        assertEquals("llm-sidecar-otel", from.get(0).path("configMapRef").path("name").asText());
        assertTrue(from.get(0).path("configMapRef").path("optional").asBoolean(), "a namespace without it is fine");
        assertEquals(Optional.empty(), env(sidecar, "OTEL_SERVICE_NAME"));
    }

    @Test
    void thePodsOtelAnnotationsReachTheSidecarThroughTheDownwardApi() {
        ObjectNode review = withAnnotation(withAnnotation(review("review-deployment-pod.json"),
                                                          "llm-sidecar.io/OTEL_SERVICE_NAME", "payments-llm"),
                                           "llm-sidecar.io/OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        JsonNode sidecar = sidecar(review);
        assertEquals(Optional.of("fieldRef:metadata.annotations['llm-sidecar.io/OTEL_SERVICE_NAME']"),
                     env(sidecar, "OTEL_SERVICE_NAME"));
        assertEquals(Optional.of("fieldRef:metadata.annotations['llm-sidecar.io/OTEL_EXPORTER_OTLP_ENDPOINT']"),
                     env(sidecar, "OTEL_EXPORTER_OTLP_ENDPOINT"));
        for (String list : List.of("containers", "initContainers")) {
            for (JsonNode c : apply(review, patch(answer(review)).orElseThrow()).path("spec").path(list)) {
                if (!c.path("name").asText().equals("llm-sidecar")) {
                    assertEquals(Optional.empty(), env(c, "OTEL_SERVICE_NAME"), "the app keeps its own tracing");
                }
            }
        }
    }

    @Test
    void headersAndUnknownOtelAnnotationsAreWarnedAboutAndNotPassed() {
        ObjectNode review = withAnnotation(withAnnotation(review("review-deployment-pod.json"),
                                                          "llm-sidecar.io/OTEL_EXPORTER_OTLP_HEADERS",
                                                          "authorization=Bearer%20secret"),
                                           "llm-sidecar.io/OTEL_EXPORTER_OTLP_ENDPIONT", "http://typo:4318");
        JsonNode answer = answer(review);
        List<String> warnings = new ArrayList<>();
        answer.path("response").path("warnings").forEach(w -> warnings.add(w.asText()));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("OTEL_EXPORTER_OTLP_HEADERS")
                                                   && w.contains("credentials")), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("OTEL_EXPORTER_OTLP_ENDPIONT")), warnings.toString());
        JsonNode sidecar = apply(review, patch(answer).orElseThrow()).path("spec").path("initContainers").get(0);
        assertEquals(Optional.empty(), env(sidecar, "OTEL_EXPORTER_OTLP_HEADERS"));
        assertEquals(Optional.empty(), env(sidecar, "OTEL_EXPORTER_OTLP_ENDPIONT"));
        assertFalse(sidecar.toString().contains("Bearer"));
    }

    @Test
    void theAnnotatableVariablesAreTheSidecarsOtelVariablesWithoutTheHeaders() {
        assertTrue(PodMutator.OTEL_ANNOTATIONS.contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
        assertTrue(PodMutator.OTEL_ANNOTATIONS.contains("OTEL_TRACES_SAMPLER"));
        assertFalse(PodMutator.OTEL_ANNOTATIONS.contains("OTEL_EXPORTER_OTLP_HEADERS"));
        assertFalse(PodMutator.OTEL_ANNOTATIONS.contains("OTEL_EXPORTER_OTLP_TRACES_HEADERS"));
    }
}
