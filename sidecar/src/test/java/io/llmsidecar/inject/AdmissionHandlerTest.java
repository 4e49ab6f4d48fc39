package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.metrics.InjectorMetrics;
import io.llmsidecar.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.llmsidecar.inject.Reviews.apply;
import static io.llmsidecar.inject.Reviews.container;
import static io.llmsidecar.inject.Reviews.env;
import static io.llmsidecar.inject.Reviews.patch;
import static io.llmsidecar.inject.Reviews.review;
import static io.llmsidecar.inject.Reviews.toBytes;
import static io.llmsidecar.inject.Reviews.withAnnotation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdmissionReview fixtures through the webhook's handler: the answer, the patch applied, the pod that results. */
class AdmissionHandlerTest {
    static final SidecarSpec SPEC = new SidecarSpec("registry.example.com/llm-sidecar:0.1.0", "IfNotPresent", true,
                                                    8686, 9464, "llm-sidecar-gateway", "api-key",
                                                    "llm-sidecar-policies", "llm-sidecar-config", "50m", "192Mi", "1",
                                                    "384Mi", 65532);
    private final InjectorMetrics metrics = new InjectorMetrics("0.1.0-test", AdmissionOutcome.labels());
    private final AdmissionHandler handler = new AdmissionHandler(new PodMutator(SPEC, "0.1.0-test"), Reviews.JSON,
                                                                  metrics);
    private LogCapture logs;

    @BeforeEach
    void captureLogs() {
        logs = LogCapture.start();
    }

    @AfterEach
    void releaseLogs() {
        logs.close();
    }

    @Test
    void injectsANativeSidecarFirstAmongTheInitContainers() {
        JsonNode pod = injected(review("review-deployment-pod.json"));

        JsonNode init = pod.path("spec").path("initContainers");
        assertEquals(List.of("llm-sidecar", "migrate"), names(init));
        JsonNode sidecar = init.get(0);
        assertEquals("Always", sidecar.path("restartPolicy").asText());
        assertEquals("registry.example.com/llm-sidecar:0.1.0", sidecar.path("image").asText());
        assertEquals("/health", sidecar.path("startupProbe").path("httpGet").path("path").asText());
        assertEquals(9464, sidecar.path("startupProbe").path("httpGet").path("port").asInt());
        assertEquals(List.of("app", "worker"), names(pod.path("spec").path("containers")));
    }

    @Test
    void tellsTheSidecarThePodsGracePeriodSoItsDrainFits() {
        JsonNode pod = injected(review("review-deployment-pod.json"));

        JsonNode sidecar = pod.path("spec").path("initContainers").get(0);
        assertEquals(Optional.of("30s"), env(sidecar, "SIDECAR_TERMINATION_GRACE_PERIOD"), "Kubernetes' default");
        assertEquals("/health/ready", sidecar.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("/health/live", sidecar.path("livenessProbe").path("httpGet").path("path").asText());
    }

    @Test
    void keepsTheReplayLedgerOnThePodsEmptyDirSoARestartedSidecarReplaysIt() {
        JsonNode pod = injected(review("review-deployment-pod.json"));

        JsonNode sidecar = pod.path("spec").path("initContainers").get(0);
        assertEquals(Optional.of("/tmp/llm-sidecar-budget-ledger"), env(sidecar, "SIDECAR_BUDGET_LEDGER_FILE"));
        boolean tmpIsEmptyDir = false;
        for (JsonNode volume : pod.path("spec").path("volumes")) {
            tmpIsEmptyDir |= volume.path("name").asText().equals("llm-sidecar-tmp") && volume.has("emptyDir");
        }
        assertTrue(tmpIsEmptyDir, "the ledger's directory must outlive the container: an emptyDir");
    }

    @Test
    void pointsEveryAppContainerAtTheSidecarAndKeepsTheirEnvironment() {
        JsonNode pod = injected(review("review-deployment-pod.json"));

        for (String name : List.of("app", "worker")) {
            JsonNode c = container(pod.path("spec").path("containers"), name);
            assertEquals(Optional.of("http://127.0.0.1:8686/v1"), env(c, "OPENAI_BASE_URL"), name);
            assertEquals(Optional.of("http://127.0.0.1:8686/v1"), env(c, "OPENAI_API_BASE"), name);
            assertEquals(Optional.of("http://127.0.0.1:8686"), env(c, "ANTHROPIC_BASE_URL"), name);
        }
        JsonNode app = container(pod.path("spec").path("containers"), "app");
        assertEquals(Optional.of("info"), env(app, "LOG_LEVEL"));
        assertEquals(Optional.of("gpt-4o-mini"), env(app, "OPENAI_MODEL"));
        assertEquals("LOG_LEVEL", app.path("env").get(0).path("name").asText(), "existing variables stay first");
    }

    @Test
    void keepsABaseUrlTheAppSetsItselfAndWarnsThatItMayBypassTheSidecar() {
        JsonNode pod = injected(review("review-bare-pod.json"));

        JsonNode notebook = container(pod.path("spec").path("containers"), "notebook");
        assertEquals(Optional.of("http://research-proxy.research.svc:8080/v1"), env(notebook, "OPENAI_BASE_URL"));
        assertEquals(Optional.of("http://127.0.0.1:8686/v1"), env(notebook, "OPENAI_API_BASE"));
        JsonNode warnings = answer(review("review-bare-pod.json"), false).path("response").path("warnings");
        assertEquals("[\"container notebook sets OPENAI_BASE_URL itself, may bypass llm-sidecar\"]",
                     warnings.toString());
    }

    @Test
    void mountsTheGatewayKeyAndPoliciesIntoTheSidecarOnly() {
        JsonNode pod = injected(review("review-deployment-pod.json"));

        JsonNode volumes = pod.path("spec").path("volumes");
        assertEquals(List.of("kube-api-access-x7k2q", "cache", "llm-sidecar-gateway-key", "llm-sidecar-policies",
                             "llm-sidecar-config", "llm-sidecar-tmp"), names(volumes));
        JsonNode key = container(volumes, "llm-sidecar-gateway-key").path("secret");
        assertEquals("llm-sidecar-gateway", key.path("secretName").asText());
        assertEquals("api-key", key.path("items").get(0).path("key").asText());
        assertEquals("llm-sidecar-policies",
                     container(volumes, "llm-sidecar-policies").path("configMap").path("name").asText());

        JsonNode sidecar = pod.path("spec").path("initContainers").get(0);
        assertEquals(List.of("llm-sidecar-gateway-key", "llm-sidecar-policies", "llm-sidecar-config",
                             "llm-sidecar-tmp"), names(sidecar.path("volumeMounts")));
        assertEquals(Optional.of("/var/run/secrets/llm-sidecar/api-key"),
                     env(sidecar, "SIDECAR_UPSTREAM_API_KEY_FILE"));
        assertEquals(Optional.of("/etc/llm-sidecar/policies"), env(sidecar, "SIDECAR_POLICY_DIR"));
        for (JsonNode app : pod.path("spec").path("containers")) {
            for (JsonNode mount : app.path("volumeMounts")) {
                assertFalse(mount.path("name").asText().startsWith("llm-sidecar"),
                            app.path("name").asText() + " must not mount " + mount);
            }
        }
    }

    @Test
    void mountsThePolicyOpsSecretIntoTheSidecarOnlyAndLeavesThePolicyToTheBundleServer() {
        SidecarSpec ops = new SidecarSpec(SPEC.image(), SPEC.imagePullPolicy(), true, 8686, 9464, SPEC.secretName(),
                                          SPEC.secretKey(), SPEC.policyConfigMap(), SPEC.configConfigMap(),
                                          SPEC.cpuRequest(), SPEC.memoryRequest(), SPEC.cpuLimit(),
                                          SPEC.memoryLimit(), SPEC.runAsUser(), Optional.empty(),
                                          Optional.of("llm-sidecar-policy-ops"));
        AdmissionHandler opsHandler = new AdmissionHandler(new PodMutator(ops, "0.1.0-test"), Reviews.JSON, metrics);
        ObjectNode review = review("review-deployment-pod.json");
        JsonNode answer = Reviews.read(opsHandler.review(toBytes(review), false));
        JsonNode pod = apply(review, patch(answer).orElseThrow());

        JsonNode volumes = pod.path("spec").path("volumes");
        assertEquals(List.of("kube-api-access-x7k2q", "cache", "llm-sidecar-gateway-key", "llm-sidecar-policy-ops",
                             "llm-sidecar-config", "llm-sidecar-tmp"), names(volumes));
        assertEquals("llm-sidecar-policy-ops",
                     container(volumes, "llm-sidecar-policy-ops").path("secret").path("secretName").asText());
        JsonNode sidecar = pod.path("spec").path("initContainers").get(0);
        assertTrue(names(sidecar.path("volumeMounts")).contains("llm-sidecar-policy-ops"));
        assertEquals(Optional.empty(), env(sidecar, "SIDECAR_POLICY_DIR"), "the config's bundle-url is the source");
        for (JsonNode app : pod.path("spec").path("containers")) {
            for (JsonNode mount : app.path("volumeMounts")) {
                assertFalse(mount.path("name").asText().startsWith("llm-sidecar"),
                            app.path("name").asText() + " must not mount " + mount);
            }
        }
    }

    @Test
    void passesThePodIdentityThroughTheDownwardApi() {
        JsonNode sidecar = injected(review("review-deployment-pod.json")).path("spec").path("initContainers").get(0);

        assertEquals(Optional.of("fieldRef:metadata.namespace"), env(sidecar, "SIDECAR_POD_NAMESPACE"));
        assertEquals(Optional.of("fieldRef:metadata.name"), env(sidecar, "SIDECAR_POD_NAME"));
        assertEquals(Optional.of("fieldRef:spec.serviceAccountName"), env(sidecar, "SIDECAR_POD_SERVICE_ACCOUNT"));
        assertEquals(Optional.of("fieldRef:metadata.labels['app.kubernetes.io/name']"),
                     env(sidecar, "SIDECAR_POD_APP"), "the recommended label wins over 'app'");
        assertEquals(Optional.of("fieldRef:metadata.annotations['llm-sidecar.io/team']"),
                     env(sidecar, "SIDECAR_TEAM"));
        assertEquals(Optional.of("0.0.0.0"), env(sidecar, "SIDECAR_ADMIN_HOST"));
    }

    @Test
    void leavesTeamAndAppToTheNamespaceConfigWhenThePodNamesNeither() {
        JsonNode sidecar = injected(review("review-bare-pod.json")).path("spec").path("initContainers").get(0);

        assertEquals(Optional.empty(), env(sidecar, "SIDECAR_TEAM"));
        assertEquals(Optional.empty(), env(sidecar, "SIDECAR_POD_APP"));
    }

    @Test
    void fallsBackToTheAppLabel() {
        ObjectNode review = review("review-bare-pod.json");
        ((ObjectNode) review.path("request").path("object").path("metadata")).putObject("labels").put("app", "nb");

        JsonNode sidecar = injected(review).path("spec").path("initContainers").get(0);

        assertEquals(Optional.of("fieldRef:metadata.labels['app']"), env(sidecar, "SIDECAR_POD_APP"));
    }

    @Test
    void createsTheListsAndMapsABarePodLacks() {
        JsonNode pod = injected(review("review-bare-pod.json"));

        assertEquals(List.of("llm-sidecar"), names(pod.path("spec").path("initContainers")));
        assertEquals(4, pod.path("spec").path("volumes").size());
        assertEquals("true", pod.path("metadata").path("labels").path("llm-sidecar.io/injected").asText());
        JsonNode status = Reviews.read(pod.path("metadata").path("annotations").path("llm-sidecar.io/status")
                                               .asText().getBytes());
        assertEquals("0.1.0-test", status.path("version").asText());
        assertEquals("native", status.path("sidecar").asText());
    }

    @Test
    void addsARegularContainerWhenThePodAsksForNoNativeSidecar() {
        JsonNode pod = injected(withAnnotation(review("review-deployment-pod.json"),
                                               "llm-sidecar.io/native-sidecar", "false"));

        assertEquals(List.of("migrate"), names(pod.path("spec").path("initContainers")));
        assertEquals(List.of("app", "worker", "llm-sidecar"), names(pod.path("spec").path("containers")));
        JsonNode sidecar = container(pod.path("spec").path("containers"), "llm-sidecar");
        assertFalse(sidecar.has("restartPolicy"), "restartPolicy is for init containers only");
        assertEquals(Optional.empty(), env(sidecar, "OPENAI_BASE_URL"), "the sidecar is not pointed at itself");
    }

    @Test
    void addsNothingWhenAppliedToItsOwnOutput() {
        for (String fixture : List.of("review-deployment-pod.json", "review-bare-pod.json")) {
            ObjectNode review = review(fixture);
            JsonNode once = injected(review);

            JsonNode again = answer(Reviews.withPod(review, once), false);

            assertTrue(again.path("response").path("allowed").asBoolean());
            assertEquals(Optional.empty(), patch(again), fixture + ": a second pass must add nothing");
        }
    }

    @Test
    void pointsAContainerAddedAfterInjection() {
        ObjectNode review = review("review-deployment-pod.json");
        JsonNode once = injected(review);
        ObjectNode later = once.deepCopy();
        ((com.fasterxml.jackson.databind.node.ArrayNode) later.path("spec").path("containers"))
                .addObject().put("name", "added-by-another-webhook").put("image", "example/agent:1");

        ObjectNode reinvoked = Reviews.withPod(review, later);
        String patch = patch(answer(reinvoked, false)).orElseThrow();
        JsonNode pod = apply(reinvoked, patch);

        assertEquals(List.of("llm-sidecar", "migrate"), names(pod.path("spec").path("initContainers")));
        assertEquals(Optional.of("http://127.0.0.1:8686/v1"),
                     env(container(pod.path("spec").path("containers"), "added-by-another-webhook"),
                         "OPENAI_BASE_URL"));
    }

    @Test
    void leavesAPodThatOptsOutUnchanged() {
        JsonNode answer = answer(withAnnotation(review("review-deployment-pod.json"), "llm-sidecar.io/inject",
                                                "false"), false);

        assertAllowedWithoutPatch(answer, "0f5e2c8e-7c38-4a4e-9f4a-4c2f3e6b1a01");
    }

    @Test
    void injectsOutsideEnabledNamespacesOnlyWhenThePodOptsIn() {
        ObjectNode review = review("review-deployment-pod.json");

        assertAllowedWithoutPatch(answer(review, true), "0f5e2c8e-7c38-4a4e-9f4a-4c2f3e6b1a01");
        JsonNode optedIn = answer(withAnnotation(review, "llm-sidecar.io/inject", "true"), true);
        assertTrue(patch(optedIn).isPresent(), "a pod annotated inject=true is injected anywhere");
    }

    @Test
    void warnsAndInjectsWhenTheOptInAnnotationIsNotABoolean() {
        JsonNode answer = answer(withAnnotation(review("review-bare-pod.json"), "llm-sidecar.io/inject", "yes"),
                                 false);

        assertTrue(patch(answer).isPresent());
        assertTrue(answer.path("response").path("warnings").get(0).asText().contains("llm-sidecar.io/inject"));
    }

    @Test
    void skipsHostNetworkPodsWithAWarningForTheirOwner() {
        ObjectNode review = review("review-bare-pod.json");
        ((ObjectNode) review.path("request").path("object").path("spec")).put("hostNetwork", true);

        JsonNode answer = answer(review, false);

        assertEquals(Optional.empty(), patch(answer));
        assertTrue(answer.path("response").path("warnings").get(0).asText().contains("hostNetwork"));
    }

    @Test
    void mountsTheConfigMapsAPodAnnotationNames() {
        ObjectNode review = withAnnotation(review("review-deployment-pod.json"), "llm-sidecar.io/policy-config-map",
                                           "llm-sidecar-policies-5h2k7m9t4b");
        JsonNode pod = injected(review);

        assertEquals("llm-sidecar-policies-5h2k7m9t4b", container(pod.path("spec").path("volumes"),
                                                                  "llm-sidecar-policies")
                .path("configMap").path("name").asText());
    }

    @Test
    void allowsNonPodReviewsWithoutPatchAndLogsAWarning() {
        JsonNode answer = answer(review("review-deployment.json"), false);

        assertAllowedWithoutPatch(answer, "c3b2a190-5d4e-4f3a-8b2c-1d0e9f8a7b03");
        assertTrue(logs.all().contains("not a v1 Pod"), logs.all());
    }

    @Test
    void allowsMalformedReviewsWithoutPatchAndLogsAWarning() {
        List<byte[]> bodies = new ArrayList<>();
        bodies.add(Reviews.bytes("review-truncated.json"));
        bodies.add(new byte[0]);
        bodies.add("[]".getBytes());
        bodies.add("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}".getBytes());
        bodies.add(("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u1\","
                    + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"operation\":\"CREATE\","
                    + "\"object\":{\"spec\":{\"containers\":\"not a list\"}}}}").getBytes());
        for (byte[] body : bodies) {
            JsonNode answer = Reviews.read(handler.review(body, false));

            assertTrue(answer.path("response").path("allowed").asBoolean(), new String(body));
            assertEquals(Optional.empty(), patch(answer));
        }
        assertEquals(bodies.size(), logs.lines().stream().filter(l -> l.contains("left unchanged")).count(),
                     logs.all());
    }

    @Test
    void countsEveryAnswerByOutcome() throws Exception {
        ObjectNode review = review("review-deployment-pod.json");
        JsonNode once = injected(review);
        ((ObjectNode) review.path("request")).set("object", once);
        answer(review, false);
        answer(withAnnotation(review("review-bare-pod.json"), "llm-sidecar.io/inject", "false"), false);
        answer(review("review-bare-pod.json"), true);
        handler.review("{".getBytes(), false);

        String scrape = scrape();
        assertTrue(scrape.contains("llm_sidecar_injector_admissions_total{outcome=\"injected\",} 1.0"), scrape);
        assertTrue(scrape.contains("llm_sidecar_injector_admissions_total{outcome=\"already_injected\",} 1.0"),
                   scrape);
        assertTrue(scrape.contains("llm_sidecar_injector_admissions_total{outcome=\"skipped\",} 2.0"), scrape);
        assertTrue(scrape.contains("llm_sidecar_injector_admissions_total{outcome=\"error\",} 1.0"), scrape);
        assertThrows(IllegalArgumentException.class, () -> metrics.admission("made_up"));
    }

    private String scrape() throws Exception {
        var out = new ByteArrayOutputStream();
        metrics.scrape(metrics.contentType(""), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private JsonNode answer(ObjectNode review, boolean requireOptIn) {
        return Reviews.read(handler.review(toBytes(review), requireOptIn));
    }

    private JsonNode injected(ObjectNode review) {
        JsonNode answer = answer(review, false);
        assertEquals(review.path("request").path("uid").asText(), answer.path("response").path("uid").asText());
        assertTrue(answer.path("response").path("allowed").asBoolean());
        assertEquals("admission.k8s.io/v1", answer.path("apiVersion").asText());
        return apply(review, patch(answer).orElseThrow(() -> new AssertionError("no patch in " + answer)));
    }

    private static void assertAllowedWithoutPatch(JsonNode answer, String uid) {
        assertEquals(uid, answer.path("response").path("uid").asText());
        assertTrue(answer.path("response").path("allowed").asBoolean());
        assertFalse(answer.path("response").has("patch"), answer.toString());
        assertFalse(answer.path("response").has("patchType"), answer.toString());
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.forEach(item -> names.add(item.path("name").asText()));
        return names;
    }
}
