package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.llmsidecar.inject.Reviews.apply;
import static io.llmsidecar.inject.Reviews.container;
import static io.llmsidecar.inject.Reviews.env;
import static io.llmsidecar.inject.Reviews.patch;
import static io.llmsidecar.inject.Reviews.review;
import static io.llmsidecar.inject.Reviews.toBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin token reaches the sidecar container, and only it: the app shares the pod and reaches the admin port. */
class AdminTokenInjectionTest {
    private static final Map<String, String> REQUIRED = Map.of(
            "SIDECAR_INJECT_TLS_CERT", "/tls/tls.crt",
            "SIDECAR_INJECT_TLS_KEY", "/tls/tls.key",
            "SIDECAR_INJECT_IMAGE", "registry.example.com/llm-sidecar:0.1.0");

    @Test
    void mountsTheAdminTokenSecretIntoTheSidecarOnly() {
        SidecarSpec spec = spec(Map.of("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME", "llm-sidecar-admin-token"));
        JsonNode pod = inject(spec, "review-deployment-pod.json");

        JsonNode volume = container(pod.path("spec").path("volumes"), "llm-sidecar-admin-token");
        assertEquals("llm-sidecar-admin-token", volume.path("secret").path("secretName").asText());
        assertEquals("token", volume.path("secret").path("items").get(0).path("key").asText());
        assertEquals("token", volume.path("secret").path("items").get(0).path("path").asText());
        assertFalse(volume.path("secret").path("optional").asBoolean(), "a missing Secret must stop the pod");

        JsonNode sidecar = pod.path("spec").path("initContainers").get(0);
        assertEquals("llm-sidecar", sidecar.path("name").asText());
        assertEquals(Optional.of("/var/run/secrets/llm-sidecar-admin/token"), env(sidecar, "SIDECAR_ADMIN_TOKEN_FILE"));
        assertEquals(Optional.empty(), env(sidecar, "SIDECAR_ADMIN_TOKEN"), "never the token itself in the pod spec");
        JsonNode mount = container(sidecar.path("volumeMounts"), "llm-sidecar-admin-token");
        assertEquals("/var/run/secrets/llm-sidecar-admin", mount.path("mountPath").asText());
        assertTrue(mount.path("readOnly").asBoolean());

        for (String list : List.of("containers", "initContainers")) {
            for (JsonNode c : pod.path("spec").path(list)) {
                if (c.path("name").asText().equals("llm-sidecar")) {
                    continue;
                }
                for (JsonNode m : c.path("volumeMounts")) {
                    assertFalse(m.path("name").asText().equals("llm-sidecar-admin-token"), c + " mounts the token");
                }
                assertEquals(Optional.empty(), env(c, "SIDECAR_ADMIN_TOKEN_FILE"));
            }
        }
    }

    @Test
    void takesAnotherKeyInsideTheSecret() {
        SidecarSpec spec = spec(Map.of("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME", "ops-admin",
                                       "SIDECAR_INJECT_ADMIN_TOKEN_SECRET_KEY", "bearer"));
        JsonNode volume = container(inject(spec, "review-bare-pod.json").path("spec").path("volumes"),
                                    "llm-sidecar-admin-token");
        assertEquals("ops-admin", volume.path("secret").path("secretName").asText());
        assertEquals("bearer", volume.path("secret").path("items").get(0).path("key").asText());
    }

    @Test
    void withoutASecretNameNothingIsMountedAndTheAdminApiStaysOff() {
        SidecarSpec spec = spec(Map.of());
        assertEquals(Optional.empty(), spec.adminToken());
        JsonNode pod = inject(spec, "review-bare-pod.json");
        assertEquals(4, pod.path("spec").path("volumes").size());
        assertEquals(Optional.empty(), env(pod.path("spec").path("initContainers").get(0), "SIDECAR_ADMIN_TOKEN_FILE"));
    }

    @Test
    void refusesASecretNameKubernetesWouldRefuse() {
        ConfigException e = assertThrows(ConfigException.class, () -> spec(Map.of(
                "SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME", "Admin_Token")));
        assertTrue(e.getMessage().contains("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME"), e.getMessage());
    }

    @Test
    void aVolumeNameClashSkipsInjectionRatherThanMountingTheAppsVolume() {
        SidecarSpec spec = spec(Map.of("SIDECAR_INJECT_ADMIN_TOKEN_SECRET_NAME", "llm-sidecar-admin-token"));
        var review = review("review-deployment-pod.json");
        var volumes = (com.fasterxml.jackson.databind.node.ArrayNode) review.path("request").path("object")
                .path("spec").path("volumes");
        volumes.addObject().put("name", "llm-sidecar-admin-token").putObject("emptyDir");

        JsonNode answer = Reviews.read(new AdmissionHandler(new PodMutator(spec, "t"), Reviews.JSON,
                new io.llmsidecar.metrics.InjectorMetrics("t", AdmissionOutcome.labels()))
                                               .review(toBytes(review), false));
        assertTrue(answer.path("response").path("allowed").asBoolean());
        assertEquals(Optional.empty(), patch(answer));
    }

    private static JsonNode inject(SidecarSpec spec, String fixture) {
        var review = review(fixture);
        JsonNode answer = Reviews.read(new AdmissionHandler(new PodMutator(spec, "t"), Reviews.JSON,
                new io.llmsidecar.metrics.InjectorMetrics("t", AdmissionOutcome.labels()))
                                               .review(toBytes(review), false));
        return apply(review, patch(answer).orElseThrow());
    }

    private static SidecarSpec spec(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(REQUIRED);
        all.putAll(env);
        return InjectConfig.create(ConfigLoader.load(SidecarEnvironment.of(all).overrides(), Optional.empty())
                                           .get("inject")).sidecar();
    }
}
