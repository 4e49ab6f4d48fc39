package io.llmsidecar.inject;

import io.llmsidecar.config.SidecarEnvironment;
import io.llmsidecar.testing.KubernetesTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kustomize bundle in {@code k8s/}: every overlay renders with the pinned kustomize and every object validates
 * strictly against the vendored schemas (unknown fields rejected); the webhook configuration matches the injector;
 * pods are locked down; a policy edit rolls the workloads. YAML is read with SnakeYAML, which Helidon's YAML config
 * already brings.
 */
class KubernetesBundleIT {
    private static final Path ROOT = KubernetesTools.projectRoot();

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod", "policy-ops"})
    void rendersAndValidatesStrictly(String overlay) {
        String rendered = KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/" + overlay));

        KubernetesTools.assertValid(rendered, 20, "k8s/overlays/" + overlay);
        Set<String> kinds = documents(rendered).stream().map(d -> (String) d.get("kind"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(kinds.containsAll(Set.of("MutatingWebhookConfiguration", "Certificate", "Issuer",
                                            "PodDisruptionBudget", "PodMonitor", "PrometheusRule", "NetworkPolicy",
                                            "ServiceAccount", "Secret", "ConfigMap")), kinds.toString());
    }

    @Test
    void rejectsAMisspeltFieldAWrongTypeAndAnUnknownKind() {
        String rendered = KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/dev"));
        assertTrue(rendered.contains("    imagePullPolicy: Always"));

        KubernetesTools.Run typo = KubernetesTools.kubeconform(
                rendered.replaceFirst("imagePullPolicy: Always", "imagePullPolice: Always"));
        KubernetesTools.Run type = KubernetesTools.kubeconform(
                rendered.replaceFirst("timeoutSeconds: 5", "timeoutSeconds: five"));
        KubernetesTools.Run kind = KubernetesTools.kubeconform(
                "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: x\n");

        assertNotEquals(0, typo.exit());
        assertTrue(typo.output().contains("'imagePullPolice' not allowed"), typo.output());
        assertNotEquals(0, type.exit());
        assertTrue(type.output().contains("timeoutSeconds"), type.output());
        assertNotEquals(0, kind.exit(), "a kind without a vendored schema is an error, not a skip: " + kind.output());
    }

    @Test
    void webhookConfigurationMatchesTheInjector() {
        List<Map<String, Object>> docs = documents(KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/prod")));
        Map<String, Object> config = one(docs, "MutatingWebhookConfiguration", "llm-sidecar-injector");
        List<Map<String, Object>> webhooks = list(config, "webhooks");

        assertEquals(List.of(InjectorServer.MUTATE, InjectorServer.MUTATE_OPT_IN),
                     webhooks.stream().map(w -> get(w, "clientConfig", "service", "path")).toList());
        for (Map<String, Object> webhook : webhooks) {
            assertEquals("None", webhook.get("sideEffects"));
            assertEquals(5, webhook.get("timeoutSeconds"));
            assertEquals("IfNeeded", webhook.get("reinvocationPolicy"));
            assertEquals(List.of("v1"), webhook.get("admissionReviewVersions"));
            Map<String, Object> rule = list(webhook, "rules").getFirst();
            assertEquals(List.of("CREATE"), rule.get("operations"));
            assertEquals(List.of("pods"), rule.get("resources"));
            assertTrue(webhook.get("namespaceSelector").toString().contains("kube-system"));
        }
        assertEquals("llm-sidecar-system/llm-sidecar-injector",
                     get(config, "metadata", "annotations", "cert-manager.io/inject-ca-from"));

        Map<String, Object> injector = one(docs, "Deployment", "llm-sidecar-injector");
        Map<String, Object> container = list(get(injector, "spec", "template", "spec"), "containers").getFirst();
        assertEquals(List.of("inject"), container.get("args"));
        assertEquals(InjectConfig.DEFAULT_PORT, list(container, "ports").getFirst().get("containerPort"));
        for (Map<String, Object> env : list(container, "env")) {
            assertTrue(SidecarEnvironment.table().containsKey((String) env.get("name")),
                       env.get("name") + " is not a documented SIDECAR_* variable");
        }
        assertEquals(container.get("image"), env(container, "SIDECAR_INJECT_IMAGE"),
                     "the injector injects its own image");
        assertEquals("registry.example.com/llm-sidecar:0.1.0", container.get("image"));
    }

    @Test
    void theTracingComponentGivesSidecarsOnlyOtelVariablesTheyReadAndLetsThemReachTheCollector() {
        List<Map<String, Object>> docs = documents(KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/dev")));
        Map<String, Object> otel = one(docs, "ConfigMap", "llm-sidecar-otel");
        assertEquals("llm-demo", get(otel, "metadata", "namespace"));
        Map<String, Object> data = get(otel, "data");
        assertTrue(data.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT"), data.toString());
        for (String variable : data.keySet()) {
            assertTrue(variable.startsWith("OTEL_") && SidecarEnvironment.table().containsKey(variable),
                       variable + " is not an OTEL_* variable the sidecar reads");
        }
        io.llmsidecar.tracing.TracingConfig config = io.llmsidecar.tracing.TracingConfig.create(
                io.llmsidecar.config.ConfigLoader.load(SidecarEnvironment.of(
                        data.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                                Map.Entry::getKey, e -> String.valueOf(e.getValue())))).overrides(),
                                                       java.util.Optional.empty()).get("tracing"));
        assertTrue(config.exporting(), "the component's values are valid and turn export on");
        Map<String, Object> egress = one(docs, "NetworkPolicy", "llm-sidecar-otel-egress");
        Map<String, Object> rule = list(get(egress, "spec"), "egress").getFirst();
        assertEquals(4318, list(rule, "ports").getFirst().get("port"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod", "policy-ops"})
    void podsRunNonRootReadOnlyWithoutCapabilitiesWithResourcesAndProbes(String overlay) {
        for (Map<String, Object> d : documents(KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/" + overlay)))) {
            if (!"Deployment".equals(d.get("kind"))) {
                continue;
            }
            Map<String, Object> pod = get(d, "spec", "template", "spec");
            String name = (String) get(d, "metadata", "name");
            assertEquals(true, get(pod, "securityContext", "runAsNonRoot"), name);
            assertEquals(false, pod.get("automountServiceAccountToken"), name);
            for (Map<String, Object> c : list(pod, "containers")) {
                String where = name + "/" + c.get("name");
                assertEquals(true, get(c, "securityContext", "readOnlyRootFilesystem"), where);
                assertEquals(false, get(c, "securityContext", "allowPrivilegeEscalation"), where);
                assertEquals(List.of("ALL"), get(c, "securityContext", "capabilities", "drop"), where);
                for (String kind : List.of("requests", "limits")) {
                    Map<String, Object> resources = get(c, "resources", kind);
                    assertTrue(resources.containsKey("cpu") && resources.containsKey("memory"), where + " " + kind);
                }
                assertNotNull(c.get("readinessProbe"), where);
                assertNotNull(c.get("livenessProbe"), where);
            }
        }
    }

    @Test
    void alertRulesAreValidPromQlAndFireOnTheSidecarsMetrics(@TempDir Path dir) throws IOException {
        Map<String, Object> rule = one(documents(KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/prod"))),
                                       "PrometheusRule", "llm-sidecar");
        Files.writeString(dir.resolve("rules.yaml"), new Yaml().dump(rule.get("spec")));
        Files.write(dir.resolve("alerts-test.yaml"), Reviews.bytes("alerts-test.yaml"));

        KubernetesTools.Run check = KubernetesTools.promtool(dir, "check", "rules", "rules.yaml");
        KubernetesTools.Run test = KubernetesTools.promtool(dir, "test", "rules", "alerts-test.yaml");

        assertEquals(0, check.exit(), check.output() + check.errors());
        assertEquals(0, test.exit(), test.output() + test.errors());
    }

    @Test
    void policyConfigMapListsExactlyThePolicyFiles() throws IOException {
        assertGeneratorListsDirectory("policies", "llm-sidecar-policies",
                                      f -> f.endsWith(".rego") && !f.endsWith("_test.rego") || f.equals("data.json"));
    }

    @Test
    void dashboardsConfigMapListsExactlyTheDashboards() throws IOException {
        assertGeneratorListsDirectory("dashboards", "llm-sidecar-dashboards", f -> f.endsWith(".json"));
    }

    @Test
    void aPolicyEditRollsTheWorkloadsThatMountThePolicies(@TempDir Path copy) throws IOException {
        for (String dir : List.of("k8s/base", "k8s/components", "k8s/examples", "k8s/overlays", "policies",
                                  "dashboards")) {
            copyTree(ROOT.resolve(dir), copy.resolve(dir));
        }
        Map<String, Object> before = one(documents(KubernetesTools.kustomize(copy.resolve("k8s/overlays/dev"))),
                                         "Deployment", "chat-app");
        Files.writeString(copy.resolve("policies/extra.rego"), "package llm.extra\n\ndeny := false\n");
        Path generator = copy.resolve("policies/kustomization.yaml");
        Files.writeString(generator, Files.readString(generator).replace(
                "    files:\n", "    files:\n      - extra.rego\n"));

        List<Map<String, Object>> after = documents(KubernetesTools.kustomize(copy.resolve("k8s/overlays/dev")));
        String oldName = get(before, "spec", "template", "metadata", "annotations", "llm-sidecar.io/policy-config-map");
        String newName = get(one(after, "Deployment", "chat-app"), "spec", "template", "metadata", "annotations",
                             "llm-sidecar.io/policy-config-map");

        assertTrue(oldName.startsWith("llm-sidecar-policies-"), oldName);
        assertNotEquals(oldName, newName, "the pod template changes, so the Deployment rolls");
        assertTrue(after.stream().anyMatch(d -> "ConfigMap".equals(d.get("kind"))
                                                && newName.equals(get(d, "metadata", "name"))),
                   "the annotation names the ConfigMap that exists");
    }

    private static void assertGeneratorListsDirectory(String dir, String configMap,
                                                      java.util.function.Predicate<String> belongs)
            throws IOException {
        Set<String> files;
        try (Stream<Path> list = Files.list(ROOT.resolve(dir))) {
            files = list.map(p -> p.getFileName().toString()).filter(belongs)
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        Map<String, Object> generated = one(documents(KubernetesTools.kustomize(ROOT.resolve(dir))), "ConfigMap",
                                            null);
        assertTrue(((String) get(generated, "metadata", "name")).startsWith(configMap));
        Map<String, Object> data = generated.get("data") == null ? Map.of() : get(generated, "data");
        Set<String> listed = new TreeSet<>(data.keySet());
        Set<String> missing = new TreeSet<>(files);
        missing.removeAll(listed);
        Set<String> extra = new TreeSet<>(listed);
        extra.removeAll(files);
        assertTrue(missing.isEmpty() && extra.isEmpty(),
                   dir + "/kustomization.yaml must list exactly the files of " + dir + "/ (kustomize has no globs): "
                   + "add " + missing + ", remove " + extra);
    }

    @Test
    void thePolicyOpsOverlayMountsItsSecretIntoTheSidecarOnlyAndItsConfigLoads(@TempDir Path dir) throws Exception {
        List<Map<String, Object>> docs = documents(KubernetesTools.kustomize(ROOT.resolve("k8s/overlays/policy-ops")));
        Map<String, Object> secret = one(docs, "Secret", "llm-sidecar-policy-ops");
        assertEquals("llm-demo", get(secret, "metadata", "namespace"));
        assertTrue(secret.get("data") == null && secret.get("stringData") == null, "values are set out of band");
        Map<String, Object> injector = one(docs, "Deployment", "llm-sidecar-injector");
        Map<String, Object> container = list(get(injector, "spec", "template", "spec"), "containers").getFirst();
        assertEquals("llm-sidecar-policy-ops", env(container, "SIDECAR_INJECT_POLICY_OPS_SECRET_NAME"));

        Map<String, Object> config = docs.stream()
                .filter(d -> "ConfigMap".equals(d.get("kind"))
                             && ((String) get(d, "metadata", "name")).startsWith("llm-sidecar-config")
                             && "llm-demo".equals(get(d, "metadata", "namespace")))
                .findFirst().orElseThrow();
        Path yaml = Files.writeString(dir.resolve("application.yaml"),
                                      (String) get(config, "data", "application.yaml"));
        var loaded = io.llmsidecar.SidecarConfig.create(
                io.llmsidecar.config.ConfigLoader.load(Map.of(), java.util.Optional.of(yaml)));
        assertTrue(loaded.policy().bundleUrl().isPresent());
        assertTrue(loaded.policy().verification().isPresent());
        assertTrue(loaded.policy().bundleTokenFile().orElseThrow().startsWith(SidecarTemplate.POLICY_OPS_DIR));
        assertTrue(loaded.policy().decisionLog()
                           instanceof io.llmsidecar.policy.PolicyConfig.DecisionLogTarget.Service service
                   && service.tokenFile().orElseThrow().startsWith(SidecarTemplate.POLICY_OPS_DIR));
    }

    private static List<Map<String, Object>> documents(String yaml) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(yaml)) {
            if (doc != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) doc;
                docs.add(map);
            }
        }
        return docs;
    }

    private static Map<String, Object> one(List<Map<String, Object>> docs, String kind, String name) {
        List<Map<String, Object>> found = docs.stream()
                .filter(d -> kind.equals(d.get("kind")))
                .filter(d -> name == null || name.equals(get(d, "metadata", "name")))
                .toList();
        assertEquals(1, found.size(), "exactly one " + kind + " " + name);
        return found.getFirst();
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<String, Object> map, String... path) {
        Object node = map;
        for (String key : path) {
            assertTrue(node instanceof Map, "no " + String.join(".", path) + " in " + map);
            node = ((Map<String, Object>) node).get(key);
        }
        return (T) node;
    }

    private static List<Map<String, Object>> list(Map<String, Object> map, String key) {
        return get(map, key);
    }

    private static Object env(Map<String, Object> container, String name) {
        return list(container, "env").stream().filter(e -> name.equals(e.get("name"))).findFirst()
                .map(e -> e.get("value")).orElse(null);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
