package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.metrics.InjectorMetrics;
import io.llmsidecar.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which containers the injector points at the sidecar through OPENAI_BASE_URL, OPENAI_API_BASE and
 * ANTHROPIC_BASE_URL, and which it names in the admission answer's warnings because they set a variable themselves.
 * Each review goes through the handler; its patch is applied with Parsson, and the pod that results is checked.
 */
class ContainerPointingTest {
    private static final String OPENAI = "http://127.0.0.1:8686/v1";
    private static final String ANTHROPIC = "http://127.0.0.1:8686";
    private static final List<String> VARIABLES = List.of("OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_BASE_URL");
    private final AdmissionHandler handler = new AdmissionHandler(
            new PodMutator(AdmissionHandlerTest.SPEC, "0.1.0-test"), Reviews.JSON,
            new InjectorMetrics("0.1.0-test", AdmissionOutcome.labels()));
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
    void pointsAnthropicClientsAtTheSidecarWithoutV1AndOpenAiClientsWithIt() {
        JsonNode answer = answer(review("review-deployment-pod.json"));
        JsonNode pod = applied(review("review-deployment-pod.json"), answer);

        for (String name : List.of("app", "worker")) {
            JsonNode c = container(pod.path("spec").path("containers"), name);
            assertEquals(Optional.of(OPENAI), env(c, "OPENAI_BASE_URL"), name);
            assertEquals(Optional.of(OPENAI), env(c, "OPENAI_API_BASE"), name);
            assertEquals(Optional.of(ANTHROPIC), env(c, "ANTHROPIC_BASE_URL"),
                         name + ": the Anthropic clients append /v1/messages themselves");
        }
        assertFalse(answer.path("response").has("warnings"), "no container sets a variable: " + answer);
    }

    @Test
    void pointsInitContainersThatStartAfterTheNativeSidecar() {
        JsonNode answer = answer(review("review-deployment-pod.json"));
        JsonNode pod = applied(review("review-deployment-pod.json"), answer);

        JsonNode init = pod.path("spec").path("initContainers");
        assertEquals("llm-sidecar", init.get(0).path("name").asText());
        JsonNode migrate = container(init, "migrate");
        assertEquals(Optional.of(OPENAI), env(migrate, "OPENAI_BASE_URL"));
        assertEquals(Optional.of(ANTHROPIC), env(migrate, "ANTHROPIC_BASE_URL"));
        for (String variable : VARIABLES) {
            assertEquals(Optional.empty(), env(init.get(0), variable), "the sidecar is not pointed at itself");
        }
        // The env of the init container is written at its index before the sidecar goes in front of it.
        List<String> paths = paths(answer);
        assertTrue(paths.indexOf("/spec/initContainers/0/env") < paths.indexOf("/spec/initContainers/0"),
                   paths.toString());
        assertTrue(logs.all().contains("pointed 3 app container(s)"), logs.all());
    }

    @Test
    void leavesInitContainersAloneWhenTheSidecarIsARegularContainerAndWarnsAboutTheirOwnValues() {
        ObjectNode review = withAnnotation(review("review-deployment-pod.json"), "llm-sidecar.io/native-sidecar",
                                           "false");
        ObjectNode migrate = (ObjectNode) spec(review).path("initContainers").get(0);
        migrate.putArray("env").addObject().put("name", "ANTHROPIC_BASE_URL").put("value", "https://api.anthropic.com");

        JsonNode answer = answer(review);
        JsonNode pod = applied(review, answer);

        JsonNode init = container(pod.path("spec").path("initContainers"), "migrate");
        assertEquals(Optional.empty(), env(init, "OPENAI_BASE_URL"), "it runs before the sidecar exists");
        assertEquals(Optional.of("https://api.anthropic.com"), env(init, "ANTHROPIC_BASE_URL"));
        assertEquals(List.of("init container migrate sets ANTHROPIC_BASE_URL itself, may bypass llm-sidecar"),
                     warnings(answer));
    }

    @Test
    void onReinvocationPointsInitContainersAfterTheSidecarAndNotThoseAnotherWebhookPutBeforeIt() {
        ObjectNode review = review("review-deployment-pod.json");
        JsonNode injected = applied(review, answer(review));
        ObjectNode later = injected.deepCopy();
        ArrayNode init = (ArrayNode) later.path("spec").path("initContainers");
        init.insertObject(0).put("name", "vault-agent-init").put("image", "example/vault:1")
                .putArray("env").addObject().put("name", "OPENAI_BASE_URL").put("value", "");
        init.addObject().put("name", "embed-backfill").put("image", "example/backfill:1");
        ObjectNode reinvoked = Reviews.withPod(review, later);

        JsonNode answer = answer(reinvoked);
        JsonNode pod = applied(reinvoked, answer);

        JsonNode list = pod.path("spec").path("initContainers");
        assertEquals(List.of("vault-agent-init", "llm-sidecar", "migrate", "embed-backfill"), names(list));
        assertEquals(Optional.of(""), env(list.get(0), "OPENAI_BASE_URL"),
                     "it starts before the sidecar: an empty value stays empty");
        assertEquals(Optional.empty(), env(list.get(0), "ANTHROPIC_BASE_URL"));
        assertEquals(Optional.of(ANTHROPIC), env(list.get(3), "ANTHROPIC_BASE_URL"));
        assertEquals(List.of("/spec/initContainers/3/env", "/spec/initContainers/3/env/-",
                             "/spec/initContainers/3/env/-"), paths(answer), "only the new init container changes");
        assertFalse(answer.path("response").has("warnings"), answer.toString());
        assertTrue(logs.all().contains("already injected; pointed 1 new app container(s)"), logs.all());
    }

    @Test
    void anInitContainerBeforeTheSidecarThatSetsAVariableIsNamedButNotChanged() {
        ObjectNode review = review("review-deployment-pod.json");
        ObjectNode later = applied(review, answer(review)).deepCopy();
        ((ArrayNode) later.path("spec").path("initContainers")).insertObject(0).put("name", "prefetch")
                .putArray("env").addObject().put("name", "OPENAI_BASE_URL").put("value", "https://api.openai.com/v1");

        JsonNode answer = answer(Reviews.withPod(review, later));

        assertEquals(Optional.empty(), patch(answer));
        assertEquals(List.of("init container prefetch sets OPENAI_BASE_URL itself, may bypass llm-sidecar"),
                     warnings(answer));
    }

    @Test
    void anLlmSidecarInitContainerThatIsNoNativeSidecarPointsNoInitContainer() {
        ObjectNode review = review("review-bare-pod.json");
        ArrayNode init = spec(review).putArray("initContainers");
        init.addObject().put("name", "llm-sidecar").put("image", "example/impostor:1");
        init.addObject().put("name", "setup").put("image", "example/setup:1");

        JsonNode answer = answer(review);
        JsonNode pod = applied(review, answer);

        JsonNode setup = container(pod.path("spec").path("initContainers"), "setup");
        assertEquals(Optional.empty(), env(setup, "ANTHROPIC_BASE_URL"), "nothing runs on loopback while it runs");
        assertEquals(Optional.of(ANTHROPIC), env(pod.path("spec").path("containers").get(0), "ANTHROPIC_BASE_URL"));
    }

    @Test
    void keepsTheAppsOwnValueAndNamesTheContainerAndVariableInAWarning() {
        JsonNode answer = answer(review("review-bare-pod.json"));
        JsonNode notebook = container(applied(review("review-bare-pod.json"), answer).path("spec").path("containers"),
                                      "notebook");

        assertEquals(Optional.of("http://research-proxy.research.svc:8080/v1"), env(notebook, "OPENAI_BASE_URL"));
        assertEquals(Optional.of(ANTHROPIC), env(notebook, "ANTHROPIC_BASE_URL"));
        assertEquals(List.of("container notebook sets OPENAI_BASE_URL itself, may bypass llm-sidecar"),
                     warnings(answer));
        assertTrue(logs.all().contains("warnings: container notebook sets OPENAI_BASE_URL itself"), logs.all());
    }

    @Test
    void aValueFromASecretOrConfigMapIsTheAppsOwnEvenThoughItsValueIsUnknown() {
        ObjectNode review = withApp(review("review-bare-pod.json"), """
                [{"name": "ANTHROPIC_BASE_URL",
                  "valueFrom": {"configMapKeyRef": {"name": "llm", "key": "anthropic-url"}}},
                 {"name": "OPENAI_BASE_URL", "value": "",
                  "valueFrom": {"secretKeyRef": {"name": "llm", "key": "openai-url"}}}]""");

        JsonNode answer = answer(review);
        JsonNode app = applied(review, answer).path("spec").path("containers").get(0);

        assertEquals("configMapKeyRef", app.path("env").get(0).path("valueFrom").fieldNames().next());
        assertFalse(app.path("env").get(0).has("value"), "the reference is left as it is");
        assertEquals(Optional.of(OPENAI), env(app, "OPENAI_API_BASE"));
        assertEquals(List.of("container notebook sets OPENAI_BASE_URL, ANTHROPIC_BASE_URL itself, may bypass "
                             + "llm-sidecar"), warnings(answer));
    }

    @Test
    void fillsAnEmptyValueInPlaceBecauseTheAppNamedNoDestination() {
        ObjectNode review = withApp(review("review-bare-pod.json"), """
                [{"name": "LOG_LEVEL", "value": "debug"},
                 {"name": "ANTHROPIC_BASE_URL", "value": ""},
                 {"name": "OPENAI_BASE_URL"}]""");

        JsonNode answer = answer(review);
        JsonNode env = applied(review, answer).path("spec").path("containers").get(0).path("env");

        assertEquals(List.of("LOG_LEVEL", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE"), names(env),
                     "no second entry of the same name");
        assertEquals(ANTHROPIC, env.get(1).path("value").asText());
        assertEquals(OPENAI, env.get(2).path("value").asText());
        assertTrue(paths(answer).containsAll(List.of("/spec/containers/0/env/1/value",
                                                     "/spec/containers/0/env/2/value")), paths(answer).toString());
        assertFalse(answer.path("response").has("warnings"), answer.toString());
    }

    @Test
    void withDuplicateNamesTheLastEntryDecidesAsItDoesForTheKubelet() {
        ObjectNode review = withApp(review("review-bare-pod.json"), """
                [{"name": "OPENAI_BASE_URL", "value": "http://elsewhere:8080/v1"},
                 {"name": "OPENAI_BASE_URL", "value": ""},
                 {"name": "ANTHROPIC_BASE_URL", "value": ""},
                 {"name": "ANTHROPIC_BASE_URL", "value": "http://elsewhere:8080"}]""");

        JsonNode answer = answer(review);
        JsonNode env = applied(review, answer).path("spec").path("containers").get(0).path("env");

        assertEquals("http://elsewhere:8080/v1", env.get(0).path("value").asText(), "hidden, left as it is");
        assertEquals(OPENAI, env.get(1).path("value").asText(), "the entry that counts is filled");
        assertEquals("", env.get(2).path("value").asText(), "hidden by the next entry, left as it is");
        assertEquals("http://elsewhere:8080", env.get(3).path("value").asText());
        assertEquals(List.of("container notebook sets ANTHROPIC_BASE_URL itself, may bypass llm-sidecar"),
                     warnings(answer));
    }

    @Test
    void anAppThatSetsTheSidecarsOwnValuesIsNeitherChangedNorWarnedAbout() {
        ObjectNode review = withApp(review("review-bare-pod.json"), """
                [{"name": "OPENAI_BASE_URL", "value": "%s"},
                 {"name": "OPENAI_API_BASE", "value": "%s"},
                 {"name": "ANTHROPIC_BASE_URL", "value": "%s"}]""".formatted(OPENAI, OPENAI, ANTHROPIC));

        JsonNode answer = answer(review);

        assertFalse(paths(answer).stream().anyMatch(p -> p.startsWith("/spec/containers/")), paths(answer).toString());
        assertFalse(answer.path("response").has("warnings"), answer.toString());
    }

    @Test
    void aValueFromEnvFromIsReplacedBecauseEnvWinsOverIt() {
        ObjectNode review = review("review-bare-pod.json");
        ObjectNode app = (ObjectNode) spec(review).path("containers").get(0);
        app.remove("env");
        app.putArray("envFrom").addObject().putObject("configMapRef").put("name", "llm-endpoints");

        JsonNode answer = answer(review);
        JsonNode pointed = applied(review, answer).path("spec").path("containers").get(0);

        for (String variable : VARIABLES) {
            assertTrue(env(pointed, variable).isPresent(), variable);
        }
        assertEquals(List.of("/spec/containers/0/env", "/spec/containers/0/env/-", "/spec/containers/0/env/-"),
                     paths(answer).stream().filter(p -> p.startsWith("/spec/containers/")).toList(),
                     "an env list is created beside envFrom");
        assertFalse(answer.path("response").has("warnings"), answer.toString());
    }

    @Test
    void namesAtMostFiveContainersAndCountsTheRestWithEveryWarningWithin120Characters() {
        ObjectNode review = review("review-bare-pod.json");
        ArrayNode containers = (ArrayNode) spec(review).path("containers");
        ArrayNode init = spec(review).putArray("initContainers");
        String longName = "a".repeat(30) + "-embedding-backfill-" + "z".repeat(13);
        assertEquals(63, longName.length(), "the longest container name Kubernetes accepts");
        ObjectNode first = init.addObject().put("name", longName);
        for (String variable : VARIABLES) {
            first.withArray("env").addObject().put("name", variable).put("value", "http://elsewhere");
        }
        for (int i = 0; i < 40; i++) {
            containers.addObject().put("name", "worker-" + i).putArray("env").addObject()
                    .put("name", "OPENAI_BASE_URL").put("value", "http://elsewhere/v1");
        }
        ObjectNode annotated = withAnnotation(review, "llm-sidecar.io/native-sidecar", "x".repeat(5000));

        JsonNode answer = answer(annotated);
        JsonNode pod = applied(annotated, answer);

        List<String> warnings = warnings(answer);
        assertEquals(1 + 5 + 1, warnings.size(), warnings.toString());
        for (String warning : warnings) {
            assertTrue(warning.length() <= 120, warning.length() + ": " + warning);
        }
        assertTrue(warnings.get(1).startsWith("init container aaa"), warnings.get(1));
        assertTrue(warnings.get(1).contains("...") && warnings.get(1).contains("zzz sets OPENAI_BASE_URL, "
                                                                               + "OPENAI_API_BASE, ANTHROPIC_BASE_URL"),
                   warnings.get(1));
        assertEquals("container notebook sets OPENAI_BASE_URL itself, may bypass llm-sidecar", warnings.get(2));
        assertEquals("container worker-2 sets OPENAI_BASE_URL itself, may bypass llm-sidecar", warnings.get(5));
        assertEquals("37 more containers set these variables themselves, may bypass llm-sidecar", warnings.get(6));
        for (JsonNode c : pod.path("spec").path("containers")) {
            assertEquals(Optional.of(ANTHROPIC), env(c, "ANTHROPIC_BASE_URL"), c.path("name").asText());
        }
        assertEquals(41, pod.path("spec").path("containers").size());
    }

    @Test
    void aPodThatIsNotInjectedGetsNoWarningAboutItsVariables() {
        ObjectNode review = review("review-bare-pod.json");
        spec(review).put("hostNetwork", true);

        List<String> warnings = warnings(answer(review));

        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("hostNetwork") && warnings.get(0).length() <= 120, warnings.get(0));
    }

    @Test
    void addsNothingToItsOwnOutputButStillNamesTheContainersThatGoTheirOwnWay() {
        ObjectNode review = withApp(review("review-bare-pod.json"), """
                [{"name": "ANTHROPIC_BASE_URL", "value": ""},
                 {"name": "OPENAI_BASE_URL", "value": "http://elsewhere/v1"}]""");
        JsonNode once = applied(review, answer(review));

        JsonNode again = answer(Reviews.withPod(review, once));

        assertEquals(Optional.empty(), patch(again));
        assertEquals(List.of("container notebook sets OPENAI_BASE_URL itself, may bypass llm-sidecar"),
                     warnings(again));
    }

    // --- helpers

    private JsonNode answer(ObjectNode review) {
        JsonNode answer = Reviews.read(handler.review(toBytes(review), false));
        assertTrue(answer.path("response").path("allowed").asBoolean(), answer.toString());
        return answer;
    }

    private static JsonNode applied(ObjectNode review, JsonNode answer) {
        return apply(review, patch(answer).orElseThrow(() -> new AssertionError("no patch in " + answer)));
    }

    private static ObjectNode spec(ObjectNode review) {
        return (ObjectNode) review.path("request").path("object").path("spec");
    }

    /** The bare pod's one container with {@code env} as given. */
    private static ObjectNode withApp(ObjectNode review, String env) {
        ((ObjectNode) spec(review).path("containers").get(0)).set("env", Reviews.read(env.getBytes()));
        return review;
    }

    private static List<String> warnings(JsonNode answer) {
        List<String> warnings = new ArrayList<>();
        answer.path("response").path("warnings").forEach(w -> warnings.add(w.asText()));
        return warnings;
    }

    /** The paths of the answer's patch operations, in order. */
    private static List<String> paths(JsonNode answer) {
        List<String> paths = new ArrayList<>();
        patch(answer).ifPresent(p -> Reviews.read(p.getBytes()).forEach(op -> paths.add(op.path("path").asText())));
        return paths;
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.forEach(item -> names.add(item.path("name").asText()));
        return names;
    }
}
