package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.testing.KubernetesTools;
import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The injector and the kustomize bundle against a real kube-apiserver (and etcd) on loopback, which
 * {@code make e2e} ({@code scripts/e2e/run.sh}) starts: the API server calls the webhook, applies its JSON patch,
 * validates the result and runs its own admission (Pod Security) on it. There is no controller-manager, scheduler or
 * kubelet, so the test creates Pods itself and runs the injected sidecar as the jar, from the stored pod object.
 *
 * <p>The bundle is the dev overlay plus a test patch ({@link #overlay}): the webhooks call the injector by URL on
 * 127.0.0.1 with the test's CA (no Service routing without kube-proxy, no cert-manager to inject the CA), and
 * llm-demo's sidecar configuration points at the stub gateway. The cert-manager and Prometheus Operator kinds get
 * CRDs made from the vendored schemas ({@link SchemaCrds}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesE2E {
    private static final String DEMO = "llm-demo";
    private static final String OTHER = "e2e-other";
    private static final String DISABLED = "e2e-disabled";
    private static final String ADMIN_TOKEN = "e2e-admin-token-4b1f9c2d7e8a6f3b5c0d";
    private static final String GATEWAY_KEY = "sk-e2e-gateway-key-5d1c0a";
    private static final String RESTRICTED_MESSAGE = "violates PodSecurity \"restricted:latest\"";
    private static final AtomicInteger PODS = new AtomicInteger();
    /**
     * The webhooks' timeout here instead of the bundle's 5 s: the machine running {@code make e2e} is shared, and a
     * cold JVM's first reviews (the injector's, and the test's own second webhook's) can take longer on it.
     */
    private static final int WEBHOOK_TIMEOUT_SECONDS = 30;
    /** The test's kustomization and the injector's and sidecar's logs, kept for a look after a failure. */
    private static final Path OUT = Project.root().resolve("sidecar/target/e2e");

    @TempDir
    static Path dir;
    private static Kubectl kubectl;
    private static StubUpstream gateway;
    private static TestCertificates certificate;
    private static Map<String, String> injectorEnvironment;
    private static int injectorPort;
    private static int proxyPort;
    private static Path injectorLog;
    private static JarProcess injector;
    private static KubernetesTools.Run bundleApply;
    private static String bundle;
    /** The chat-app pod of the first injection test, as the API server stored it. */
    private static JsonNode injectedChatApp;

    @BeforeAll
    static void setUp() throws Exception {
        kubectl = Kubectl.fromEnvironment();
        gateway = StubUpstream.start();
        gateway.on("/models", StubUpstream.json(200, StubUpstream.cassette("models.json")));
        certificate = TestCertificates.generate(dir, "llm-sidecar-injector e2e", "RSA");
        certificate.install(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        injectorPort = Project.freePort();
        proxyPort = Project.freePort();

        kubectl.ok(SchemaCrds.list(Project.root().resolve("k8s/schemas")), "apply", "--server-side",
                   "--field-manager=e2e", "-f", "-");
        List<String> wait = new ArrayList<>(List.of("wait", "--for", "condition=Established", "--timeout=60s"));
        SchemaCrds.names().forEach(n -> wait.add("crd/" + n));
        kubectl.ok(null, wait.toArray(String[]::new));

        bundle = KubernetesTools.kustomize(overlay());
        bundleApply = kubectl.apply(bundle, "llm-sidecar-bundle");

        // The injector runs as the bundle deploys it: its env from the applied Deployment, plus the pod's files.
        injectorEnvironment = new HashMap<>();
        JsonNode deployment = kubectl.get("deployment", "-n", "llm-sidecar-system", "llm-sidecar-injector");
        for (JsonNode variable : deployment.path("spec").path("template").path("spec").path("containers").get(0)
                .path("env")) {
            injectorEnvironment.put(variable.path("name").asText(), variable.path("value").asText());
        }
        injectorEnvironment.put("SIDECAR_INJECT_TLS_CERT", dir.resolve("tls.crt").toString());
        injectorEnvironment.put("SIDECAR_INJECT_TLS_KEY", dir.resolve("tls.key").toString());
        // Loopback and free ports instead of the pod's own network namespace.
        injectorEnvironment.put("SIDECAR_INJECT_HOST", "127.0.0.1");
        injectorEnvironment.put("SIDECAR_INJECT_PORT", String.valueOf(injectorPort));
        injectorEnvironment.put("SIDECAR_INJECT_PROXY_PORT", String.valueOf(proxyPort));
        injectorEnvironment.put("SIDECAR_INJECT_ADMIN_PORT", String.valueOf(Project.freePort()));
        injectorEnvironment.put("PATH", System.getenv("PATH"));
        Files.deleteIfExists(Files.createDirectories(OUT).resolve("injector.log"));
        injectorLog = OUT.resolve("injector.log");
        injector = startInjector();

        kubectl.ok(namespace(OTHER, Map.of()), "apply", "--server-side", "--field-manager=e2e", "-f", "-");
        kubectl.ok(namespace(DISABLED, Map.of("llm-sidecar.io/injection", "disabled")), "apply", "--server-side",
                   "--field-manager=e2e", "-f", "-");
        // No controller-manager: each namespace's default ServiceAccount is ours to create.
        for (String ns : List.of(DEMO, OTHER, DISABLED)) {
            kubectl.ok("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\","
                       + "\"namespace\":\"" + ns + "\"}}", "apply", "--server-side", "--field-manager=e2e", "-f", "-");
        }
        // The gateway key goes in the way docs/KUBERNETES.md tells operators to put it in.
        String secret = kubectl.ok(null, "-n", DEMO, "create", "secret", "generic", "llm-sidecar-gateway",
                                   "--from-literal=api-key=" + GATEWAY_KEY, "--dry-run=client", "-o", "yaml");
        kubectl.ok(secret, "apply", "--server-side", "--field-manager=gateway-key", "-f", "-");
        // So is the admin token (k8s/base/admin-token-secret.yaml): the sidecar refuses to start without one.
        String adminToken = kubectl.ok(null, "-n", DEMO, "create", "secret", "generic", "llm-sidecar-admin-token",
                                       "--from-literal=token=" + ADMIN_TOKEN, "--dry-run=client", "-o", "yaml");
        kubectl.ok(adminToken, "apply", "--server-side", "--field-manager=admin-token", "-f", "-");
    }

    @AfterAll
    static void tearDown() {
        if (injector != null) {
            injector.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    @Order(1)
    void theBundleAppliesServerSideWithItsCustomResourcesValidated() {
        JsonNode version = Reviews.read(kubectl.ok(null, "version", "-o", "json").getBytes());
        assertEquals(System.getenv("E2E_KUBE_VERSION"), version.path("serverVersion").path("gitVersion").asText(),
                     "the API server built by scripts/e2e/kube/build.sh: " + version);
        assertTrue(bundleApply.ok(), bundleApply.describe());
        assertTrue(bundleApply.output().contains("mutatingwebhookconfiguration.admissionregistration.k8s.io/"
                                                 + "llm-sidecar-injector serverside-applied"), bundleApply.output());
        int objects = bundle.split("(?m)^---$").length;
        assertEquals(objects, bundleApply.output().lines().filter(l -> l.endsWith("serverside-applied")).count(),
                     "every object of the bundle is applied:\n" + bundleApply.output());
        for (String[] object : new String[][] {
                {"certificate", "llm-sidecar-system", "llm-sidecar-injector"},
                {"issuer", "llm-sidecar-system", "llm-sidecar-injector-ca"},
                {"podmonitor", "llm-sidecar-system", "llm-sidecar"},
                {"deployment", DEMO, "chat-app"},
                {"networkpolicy", "llm-sidecar-system", "llm-sidecar-injector"}}) {
            kubectl.ok(null, "get", object[0], "-n", object[1], object[2]);
        }
        JsonNode webhooks = kubectl.get("mutatingwebhookconfiguration", "llm-sidecar-injector").path("webhooks");
        assertEquals("https://127.0.0.1:" + injectorPort + "/mutate",
                     webhooks.get(0).path("clientConfig").path("url").asText());

        // Applying again changes nothing, and the CRDs really check fields: a misspelt one is refused.
        KubernetesTools.Run diff = kubectl.run(bundle, "diff", "--server-side", "--field-manager=llm-sidecar-bundle",
                                       "-f", "-");
        assertEquals(0, diff.exit(), "a second apply would change:\n" + diff.describe());
        String podMonitor = Arrays.stream(bundle.split("(?m)^---$"))
                .filter(d -> d.contains("kind: PodMonitor")).findFirst().orElseThrow();
        KubernetesTools.Run typo = kubectl.apply(podMonitor.replace("podMetricsEndpoints:", "podMetricEndpoints:"),
                                         "e2e-typo");
        assertNotEquals(0, typo.exit(), typo.describe());
        assertTrue(typo.errors().contains("podMetricEndpoints"), typo.describe());
    }

    @Test
    @Order(2)
    void aPodInALabelledNamespaceGetsTheNativeSidecarItsEnvironmentMountsAndLabels() {
        JsonNode pod = created(podOf(DEMO, "chat-app"));
        injectedChatApp = pod;
        JsonNode spec = pod.path("spec");

        JsonNode sidecar = spec.path("initContainers").get(0);
        assertEquals("llm-sidecar", sidecar.path("name").asText(), spec.toString());
        assertEquals("Always", sidecar.path("restartPolicy").asText(), "a native sidecar");
        assertEquals(injectorEnvironment.get("SIDECAR_INJECT_IMAGE"), sidecar.path("image").asText());
        assertTrue(names(sidecar.path("env")).containsAll(Set.of(
                "SIDECAR_PORT", "SIDECAR_ADMIN_HOST", "SIDECAR_ADMIN_PORT", "SIDECAR_CONFIG",
                "SIDECAR_UPSTREAM_API_KEY_FILE", "SIDECAR_POLICY_DIR", "SIDECAR_POD_NAMESPACE", "SIDECAR_POD_NAME",
                "SIDECAR_POD_SERVICE_ACCOUNT", "SIDECAR_POD_APP", "SIDECAR_TEAM")), sidecar.path("env").toString());
        JsonNode app = spec.path("containers").get(0);
        assertEquals("http://127.0.0.1:" + proxyPort + "/v1", env(app, "OPENAI_BASE_URL"));
        assertEquals("http://127.0.0.1:" + proxyPort + "/v1", env(app, "OPENAI_API_BASE"));
        assertEquals("http://127.0.0.1:" + proxyPort, env(app, "ANTHROPIC_BASE_URL"), "Anthropic clients add /v1");

        JsonNode annotations = pod.path("metadata").path("annotations");
        assertEquals(annotations.path("llm-sidecar.io/policy-config-map").asText(),
                     volume(spec, "llm-sidecar-policies").path("configMap").path("name").asText());
        assertEquals(annotations.path("llm-sidecar.io/config-config-map").asText(),
                     volume(spec, "llm-sidecar-config").path("configMap").path("name").asText());
        assertEquals("llm-sidecar-gateway",
                     volume(spec, "llm-sidecar-gateway-key").path("secret").path("secretName").asText());
        assertTrue(names(sidecar.path("volumeMounts")).containsAll(List.of(
                "llm-sidecar-gateway-key", "llm-sidecar-policies", "llm-sidecar-config", "llm-sidecar-tmp")));
        assertFalse(names(app.path("volumeMounts")).contains("llm-sidecar-gateway-key"),
                    "only the sidecar mounts the key");
        assertEquals("true", pod.path("metadata").path("labels").path("llm-sidecar.io/injected").asText());
        assertTrue(annotations.path("llm-sidecar.io/status").asText().contains("\"sidecar\":\"native\""),
                   annotations.toString());
    }

    @Test
    @Order(3)
    void theInjectedPodPassesValidationAndTheNamespacesRestrictedPodSecurity() {
        JsonNode ns = kubectl.get("namespace", DEMO);
        assertEquals("restricted",
                     ns.path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText());
        // The injected pod from above was admitted; the same app with a container the standard forbids is not,
        // so the check is really there, and it covers what the injector adds.
        JsonNode admitted = created(podOf(DEMO, "chat-app"));
        assertTrue(hasSidecar(admitted));
        ObjectNode privileged = podOf(DEMO, "chat-app");
        ((ObjectNode) privileged.path("spec").path("containers").get(0).path("securityContext"))
                .put("allowPrivilegeEscalation", true);
        KubernetesTools.Run refused = kubectl.create(privileged);
        assertNotEquals(0, refused.exit(), refused.describe());
        assertTrue(refused.errors().contains(RESTRICTED_MESSAGE), refused.describe());
        assertTrue(refused.errors().contains("container \"app\""), refused.describe());
        assertFalse(refused.errors().contains("\"llm-sidecar\""), "the sidecar itself complies: " + refused);
    }

    @Test
    @Order(4)
    void initContainersAfterTheSidecarArePointedAndAContainerWithItsOwnValueIsNamedInAWarning() {
        ObjectNode pod = podOf(DEMO, "chat-app");
        ObjectNode spec = (ObjectNode) pod.path("spec");
        ObjectNode warmUp = spec.path("containers").get(0).deepCopy();
        warmUp.put("name", "cache-warm-up").remove(List.of("readinessProbe", "livenessProbe"));
        spec.putArray("initContainers").add(warmUp);
        ObjectNode agent = spec.path("containers").get(0).deepCopy();
        agent.put("name", "own-agent").putArray("env").addObject().put("name", "ANTHROPIC_BASE_URL")
                .put("value", "https://api.anthropic.com");
        ((ArrayNode) spec.path("containers")).add(agent);

        KubernetesTools.Run run = kubectl.create(pod);

        assertTrue(run.ok(), run.describe());
        JsonNode created = Reviews.read(run.output().getBytes());
        JsonNode init = created.path("spec").path("initContainers");
        assertEquals(List.of("llm-sidecar", "cache-warm-up"), names(init), "it starts once the sidecar runs");
        assertEquals("http://127.0.0.1:" + proxyPort, env(init.get(1), "ANTHROPIC_BASE_URL"));
        assertEquals("http://127.0.0.1:" + proxyPort + "/v1", env(init.get(1), "OPENAI_BASE_URL"));
        JsonNode own = created.path("spec").path("containers").get(1);
        assertEquals("https://api.anthropic.com", env(own, "ANTHROPIC_BASE_URL"), "the app's own value is kept");
        assertEquals("http://127.0.0.1:" + proxyPort + "/v1", env(own, "OPENAI_BASE_URL"));
        // The API server hands the webhook's warnings to the client, which kubectl prints.
        assertTrue(run.errors().contains("Warning: container own-agent sets ANTHROPIC_BASE_URL itself, may bypass "
                                         + "llm-sidecar"), run.describe());
        assertFalse(run.errors().contains("cache-warm-up"), run.describe());
    }

    @Test
    @Order(5)
    void anOptedOutPodAndAPodInAnUnlabelledNamespaceAreLeftAlone() {
        JsonNode redis = created(podOf(DEMO, "redis"));
        assertEquals("false", redis.path("metadata").path("annotations").path("llm-sidecar.io/inject").asText());
        assertFalse(hasSidecar(redis), redis.toString());
        assertTrue(redis.path("metadata").path("labels").path("llm-sidecar.io/injected").isMissingNode());

        JsonNode plain = created(simplePod(OTHER, Map.of()));
        assertFalse(hasSidecar(plain), plain.toString());
        assertTrue(env(plain.path("spec").path("containers").get(0), "OPENAI_BASE_URL").isEmpty());
    }

    @Test
    @Order(6)
    void aPodOptsInInOtherNamespacesUnlessTheNamespaceIsDisabled() {
        JsonNode optedIn = created(simplePod(OTHER, Map.of("llm-sidecar.io/inject", "true")));
        assertTrue(hasSidecar(optedIn), optedIn.toString());
        assertEquals("llm-sidecar", optedIn.path("spec").path("initContainers").get(0).path("name").asText());

        JsonNode disabled = created(simplePod(DISABLED, Map.of("llm-sidecar.io/inject", "true")));
        assertFalse(hasSidecar(disabled), disabled.toString());
    }

    @Test
    @Order(7)
    void reinvocationAfterAnotherWebhookAddsAContainerPointsItAndAddsNothingElse() throws Exception {
        try (LateContainerWebhook late = LateContainerWebhook.start(certificate)) {
            kubectl.ok(lateWebhookConfiguration(late.port()), "apply", "--server-side", "--field-manager=e2e",
                       "-f", "-");
            try {
                ObjectNode template = podOf(DEMO, "chat-app");
                ((ObjectNode) template.path("metadata").path("labels")).put("e2e.llm-sidecar.io/late", "true");
                JsonNode pod = awaitCreated(template, Duration.ofSeconds(30));
                JsonNode spec = pod.path("spec");

                assertTrue(late.calls() >= 1, "the second webhook was called");
                assertEquals(List.of("app", LateContainerWebhook.CONTAINER), names(spec.path("containers")));
                assertEquals(1, names(spec.path("initContainers")).stream().filter("llm-sidecar"::equals).count(),
                             spec.toString());
                assertEquals("http://127.0.0.1:" + proxyPort + "/v1",
                             env(spec.path("containers").get(1), "OPENAI_BASE_URL"),
                             "the reinvoked injector points the late container at the sidecar");
                List<String> volumes = names(spec.path("volumes"));
                assertEquals(new HashSet<>(volumes).size(), volumes.size(), "no volume twice: " + volumes);
                assertTrue(injector.log().contains("pod " + DEMO + "/" + pod.path("metadata").path("name").asText()
                                                   + ": already injected; pointed 1 new app container(s)"),
                           injector.log());
            } finally {
                kubectl.ok(null, "delete", "mutatingwebhookconfiguration", "zz-e2e-late-container");
            }
        }
    }

    @Test
    @Order(8)
    void theInjectedSidecarRunsWithWhatTheInjectorGaveItAndServesAChatCompletion() throws Exception {
        JsonNode pod = injectedChatApp == null ? created(podOf(DEMO, "chat-app")) : injectedChatApp;
        MaterialisedSidecar materialised = MaterialisedSidecar.of(
                pod, "llm-sidecar", kubectl, Files.createDirectories(dir.resolve("pod")),
                Project.root().resolve(".tools/bin") + File.pathSeparator + System.getenv("PATH"));
        assertEquals(List.of("serve"), materialised.args());
        assertEquals("demo", materialised.environment().get("SIDECAR_TEAM"), "from the pod's annotation");
        assertEquals(pod.path("metadata").path("name").asText(), materialised.environment().get("SIDECAR_POD_NAME"));
        JsonNode container = MaterialisedSidecar.container(pod, "llm-sidecar");
        JsonNode startup = container.path("startupProbe").path("httpGet");
        JsonNode app = pod.path("spec").path("containers").get(0);
        int port = Integer.parseInt(materialised.environment().get("SIDECAR_PORT"));

        Files.deleteIfExists(OUT.resolve("sidecar.log"));
        try (JarProcess sidecar = materialised.start(OUT.resolve("sidecar.log"))) {
            sidecar.awaitPort(port, Duration.ofSeconds(120));
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            // What the kubelet's startup probe asks, on the port and path the injector wrote into it.
            URI probe = URI.create("http://127.0.0.1:" + startup.path("port").asInt() + startup.path("path").asText());
            awaitStatus(client, probe, 200, Duration.ofSeconds(60), sidecar);

            // What the app does: its SDK posts to OPENAI_BASE_URL, with no key of its own.
            HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                            URI.create(env(app, "OPENAI_BASE_URL") + "/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                    .timeout(Duration.ofSeconds(30))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(200, answer.statusCode(), answer.body() + "\n" + sidecar.log());
            assertTrue(answer.body().contains("chat.completion"), answer.body());
            StubUpstream.Recorded forwarded = gateway.requests().stream()
                    .filter(r -> r.path().equals("/v1/chat/completions")).findFirst()
                    .orElseGet(() -> fail("the gateway saw no chat completion: " + gateway.requests()));
            assertEquals("Bearer " + GATEWAY_KEY, forwarded.header("authorization"),
                         "the key from the Secret the injector mounted");
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + materialised.environment().get("SIDECAR_ADMIN_PORT") + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith("llm_sidecar_tokens_total{")
                                                            && l.contains("team=\"demo\"")),
                       "usage is counted for the pod's team:\n" + metrics.body());
        }
    }

    @Test
    @Order(9)
    void theInjectorCountsAdmissionsByOutcomeAndLogsNoStackTraces() throws Exception {
        String metrics = injectorClient().send(HttpRequest.newBuilder(injectorUrl("/metrics")).build(),
                                               HttpResponse.BodyHandlers.ofString()).body();
        // Injected: the chat-app pods, the opted-in pod, the reinvoked pod. Skipped: the opted-out Redis pod and the
        // plain pod of the other namespace (the disabled namespace sends nothing). Already injected: the reinvocation.
        assertTrue(count(metrics, "injected") >= 4, metrics);
        assertTrue(count(metrics, "skipped") >= 2, metrics);
        assertTrue(count(metrics, "already_injected") >= 1, metrics);
        assertEquals(0, count(metrics, "error"), metrics);
        assertQuietLog();
    }

    @Test
    @Order(10)
    void creationFailsClosedForEnabledNamespacesWhileTheInjectorIsDownAndSucceedsElsewhere() throws Exception {
        injector.close();
        try {
            KubernetesTools.Run refused = kubectl.create(podOf(DEMO, "chat-app"));
            assertNotEquals(0, refused.exit(), "a pod of an enabled namespace is never created without the "
                                               + "sidecar: " + refused.describe());
            assertTrue(refused.errors().contains("failed calling webhook \"inject.llm-sidecar.io\""),
                       refused.describe());

            JsonNode optedIn = created(simplePod(OTHER, Map.of("llm-sidecar.io/inject", "true")));
            assertFalse(hasSidecar(optedIn), "the opt-in webhook fails open");
            JsonNode plain = created(simplePod(OTHER, Map.of()));
            assertFalse(hasSidecar(plain));
        } finally {
            injector = startInjector();
        }
        // Back means ready, as its readiness probe sees it.
        awaitStatus(injectorClient(), injectorUrl("/health"), 200, Duration.ofSeconds(60), injector);
        assertTrue(hasSidecar(created(podOf(DEMO, "chat-app"))), "injects again once the injector is back");
        assertQuietLog();
    }

    /** Ordinary traffic, a stop and a start: INFO lines only, no warning and no stack trace. */
    private static void assertQuietLog() throws Exception {
        String log = Files.readString(injectorLog);
        assertTrue(log.contains("injected a native sidecar"), log);
        assertFalse(log.lines().anyMatch(l -> l.startsWith("\tat ") || l.contains("Exception")),
                    "no stack traces for ordinary traffic:\n" + log);
        assertFalse(log.contains("WARNING") || log.contains("SEVERE"), "no warnings for ordinary traffic:\n" + log);
    }

    // --- helpers

    private static HttpClient injectorClient() {
        return HttpClient.newBuilder().sslContext(TestCertificates.trusting(List.of(certificate)))
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static URI injectorUrl(String path) {
        return URI.create("https://127.0.0.1:" + injectorPort + path);
    }

    private static JarProcess startInjector() throws InterruptedException {
        return JarProcess.start(List.of(), List.of("inject"), injectorEnvironment, injectorLog)
                .awaitPort(injectorPort, Duration.ofSeconds(60));
    }

    /** The dev overlay with the test patch; see the class comment. */
    private static Path overlay() throws Exception {
        Path root = Project.root();
        Path overlay = Files.createDirectories(OUT.resolve("overlay"));
        String config = Files.readString(root.resolve("k8s/overlays/dev/app/application.yaml"));
        String pointed = config.replace("url: https://api.getunbound.ai/v1", "url: " + gateway.baseUrl());
        assertNotEquals(config, pointed, "the dev overlay's application.yaml no longer names the gateway URL");
        Files.writeString(overlay.resolve("application.yaml"), pointed);
        String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("tls.crt")));
        StringBuilder patch = new StringBuilder();
        String[] paths = {InjectorServer.MUTATE, InjectorServer.MUTATE_OPT_IN};
        for (int i = 0; i < paths.length; i++) {
            patch.append("      - {op: remove, path: /webhooks/").append(i).append("/clientConfig/service}\n")
                    .append("      - {op: add, path: /webhooks/").append(i).append("/clientConfig/url, value: ")
                    .append("\"https://127.0.0.1:").append(injectorPort).append(paths[i]).append("\"}\n")
                    .append("      - {op: add, path: /webhooks/").append(i).append("/clientConfig/caBundle, value: ")
                    .append(ca).append("}\n")
                    .append("      - {op: replace, path: /webhooks/").append(i).append("/timeoutSeconds, value: ")
                    .append(WEBHOOK_TIMEOUT_SECONDS).append("}\n");
        }
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                # Written by KubernetesE2E: the dev overlay as a loopback API server can use it.
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - %s
                configMapGenerator:
                  - name: llm-sidecar-config
                    namespace: llm-demo
                    behavior: replace
                    files:
                      - application.yaml
                patches:
                  - target: {kind: MutatingWebhookConfiguration, name: llm-sidecar-injector}
                    patch: |
                %s""".formatted(overlay.relativize(root.resolve("k8s/overlays/dev")), patch));
        return overlay;
    }

    private static String namespace(String name, Map<String, String> labels) {
        ObjectNode ns = JsonNodeFactory.instance.objectNode().put("apiVersion", "v1").put("kind", "Namespace");
        ObjectNode metadata = ns.putObject("metadata").put("name", name);
        ObjectNode l = metadata.putObject("labels");
        labels.forEach(l::put);
        return ns.toString();
    }

    /** A pod made from a Deployment's pod template as the bundle applied it, as its ReplicaSet would. */
    private static ObjectNode podOf(String namespace, String deployment) {
        JsonNode template = kubectl.get("deployment", "-n", namespace, deployment).path("spec").path("template");
        ObjectNode pod = JsonNodeFactory.instance.objectNode().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode metadata = ((ObjectNode) template.path("metadata").deepCopy());
        metadata.put("name", deployment + "-e2e-" + PODS.incrementAndGet()).put("namespace", namespace);
        pod.set("metadata", metadata);
        pod.set("spec", template.path("spec").deepCopy());
        return pod;
    }

    /** A pod with one app container the restricted Pod Security Standard admits. */
    private static ObjectNode simplePod(String namespace, Map<String, String> annotations) {
        ObjectNode pod = JsonNodeFactory.instance.objectNode().put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode metadata = pod.putObject("metadata").put("name", "plain-e2e-" + PODS.incrementAndGet())
                .put("namespace", namespace);
        metadata.putObject("labels").put("app.kubernetes.io/name", "plain");
        ObjectNode a = metadata.putObject("annotations");
        annotations.forEach(a::put);
        ObjectNode spec = pod.putObject("spec").put("automountServiceAccountToken", false);
        ObjectNode security = spec.putObject("securityContext").put("runAsNonRoot", true).put("runAsUser", 10001);
        security.putObject("seccompProfile").put("type", "RuntimeDefault");
        ObjectNode app = spec.putArray("containers").addObject().put("name", "app").put("image", "busybox:1.37");
        app.putObject("securityContext").put("allowPrivilegeEscalation", false)
                .putObject("capabilities").putArray("drop").add("ALL");
        return pod;
    }

    private static JsonNode created(ObjectNode pod) {
        KubernetesTools.Run run = kubectl.create(pod);
        if (!run.ok()) {
            fail("creating " + pod.path("metadata").path("namespace").asText() + "/"
                 + pod.path("metadata").path("name").asText() + " failed: " + run.describe());
        }
        return Reviews.read(run.output().getBytes());
    }

    /** Creates the pod, retrying while a webhook configuration just applied is not yet in the API server's view. */
    private static JsonNode awaitCreated(ObjectNode pod, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String name = pod.path("metadata").path("name").asText();
        for (int attempt = 1; ; attempt++) {
            ObjectNode copy = pod.deepCopy();
            ((ObjectNode) copy.path("metadata")).put("name", name + "-" + attempt);
            JsonNode created = created(copy);
            if (names(created.path("spec").path("containers")).contains(LateContainerWebhook.CONTAINER)
                || System.nanoTime() > deadline) {
                return created;
            }
            Thread.sleep(500);
        }
    }

    private static String lateWebhookConfiguration(int port) throws Exception {
        String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("tls.crt")));
        return """
                {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                 "metadata": {"name": "zz-e2e-late-container"},
                 "webhooks": [{"name": "late-container.e2e.llm-sidecar.io", "admissionReviewVersions": ["v1"],
                   "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": %d,
                   "clientConfig": {"url": "https://127.0.0.1:%d/", "caBundle": "%s"},
                   "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                              "resources": ["pods"], "scope": "Namespaced"}],
                   "objectSelector": {"matchLabels": {"e2e.llm-sidecar.io/late": "true"}}}]}
                """.formatted(WEBHOOK_TIMEOUT_SECONDS, port, ca);
    }

    private static void awaitStatus(HttpClient client, URI uri, int status, Duration timeout, JarProcess process)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            try {
                last = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                if (last == status) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        fail(uri + " answered " + last + ", not " + status + ", within " + timeout + ":\n" + process.log());
    }

    private static boolean hasSidecar(JsonNode pod) {
        List<String> all = new ArrayList<>(names(pod.path("spec").path("initContainers")));
        all.addAll(names(pod.path("spec").path("containers")));
        return all.contains("llm-sidecar");
    }

    private static JsonNode volume(JsonNode spec, String name) {
        for (JsonNode v : spec.path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        return fail("no volume " + name + " in " + spec.path("volumes"));
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e.path("value").asText();
            }
        }
        return "";
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.forEach(item -> names.add(item.path("name").asText()));
        return names;
    }

    private static double count(String metrics, String outcome) {
        String prefix = "llm_sidecar_injector_admissions_total{outcome=\"" + outcome + "\",} ";
        return metrics.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> Double.parseDouble(l.substring(prefix.length())))
                .orElseGet(() -> fail("no " + outcome + " series:\n" + metrics));
    }
}
