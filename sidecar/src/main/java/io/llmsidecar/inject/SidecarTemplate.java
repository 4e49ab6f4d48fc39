package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;

/**
 * The Kubernetes objects the injector adds: the sidecar container, its volumes, and the environment that points an
 * app container at it. Only the sidecar mounts the gateway key: that, not any network rule, is what makes the
 * sidecar the only way to the gateway (see docs/KUBERNETES.md). The admin token is mounted the same way, into the
 * sidecar only, because the app reaches the admin port on localhost (see docs/SECURITY.md).
 */
final class SidecarTemplate {
    /**
     * The namespace's tracing settings: an optional ConfigMap of {@code OTEL_*} variables, loaded whole into the
     * sidecar's environment (k8s/components/tracing makes one pointing at the in-cluster collector).
     */
    static final String OTEL_CONFIG_MAP = "llm-sidecar-otel";
    static final String CONTAINER = "llm-sidecar";
    static final String KEY_VOLUME = "llm-sidecar-gateway-key";
    static final String POLICY_VOLUME = "llm-sidecar-policies";
    static final String CONFIG_VOLUME = "llm-sidecar-config";
    static final String TMP_VOLUME = "llm-sidecar-tmp";
    static final String ADMIN_TOKEN_VOLUME = "llm-sidecar-admin-token";
    static final String ADMIN_TOKEN_DIR = "/var/run/secrets/llm-sidecar-admin";
    static final String ADMIN_TOKEN_FILE = "token";
    static final String POLICY_OPS_VOLUME = "llm-sidecar-policy-ops";
    static final String POLICY_OPS_DIR = "/var/run/secrets/llm-sidecar-policy-ops";
    static final String KEY_DIR = "/var/run/secrets/llm-sidecar";
    static final String KEY_FILE = "api-key";
    static final String POLICY_DIR = "/etc/llm-sidecar/policies";
    static final String CONFIG_DIR = "/etc/llm-sidecar/config";
    static final String CONFIG_FILE = "application.yaml";
    // The key file is readable by all users of the container because the sidecar runs as a non-root user and the pod
    // may set no fsGroup; no other container mounts the volume, so no other container can read it.
    private static final int KEY_FILE_MODE = 0444;

    private final SidecarSpec spec;
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;

    SidecarTemplate(SidecarSpec spec) {
        this.spec = spec;
    }

    /** What an app container's {@code variable} is set to: the sidecar's proxy on loopback. */
    String appValue(AppVariable variable) {
        return variable.value(spec.proxyPort());
    }

    ObjectNode appVariable(AppVariable variable) {
        return nodes.objectNode().put("name", variable.name()).put("value", appValue(variable));
    }

    /**
     * The sidecar container.
     *
     * @param nativeSidecar whether it goes first into {@code initContainers} with {@code restartPolicy: Always}, so
     *                      it starts (startup probe passed) before the app and stops after it
     * @param appLabel      the pod label naming the app, passed through the downward API
     * @param team          whether the pod carries the team annotation, passed through the downward API
     * @param gracePeriodSeconds the pod's {@code terminationGracePeriodSeconds}: the sidecar checks at startup that
     *                      its drain on SIGTERM fits in it, and fits its default drain into a shorter one
     * @param otel          the {@code OTEL_*} variables the pod's annotations set ({@link PodMutator#otelVariables}),
     *                      passed through the downward API
     */
    ObjectNode container(boolean nativeSidecar, Optional<String> appLabel, boolean team, long gracePeriodSeconds,
                         List<String> otel) {
        ObjectNode c = nodes.objectNode();
        c.put("name", CONTAINER);
        c.put("image", spec.image());
        c.put("imagePullPolicy", spec.imagePullPolicy());
        c.putArray("args").add("serve");
        if (nativeSidecar) {
            c.put("restartPolicy", "Always");
        }
        ArrayNode ports = c.putArray("ports");
        ports.addObject().put("name", "llm-proxy").put("containerPort", spec.proxyPort()).put("protocol", "TCP");
        ports.addObject().put("name", "llm-admin").put("containerPort", spec.adminPort()).put("protocol", "TCP");

        ArrayNode env = c.putArray("env");
        value(env, "SIDECAR_PORT", String.valueOf(spec.proxyPort()));
        // The proxy stays on loopback (the default); the admin port must be reachable by probes and Prometheus.
        value(env, "SIDECAR_ADMIN_HOST", "0.0.0.0");
        value(env, "SIDECAR_ADMIN_PORT", String.valueOf(spec.adminPort()));
        value(env, "SIDECAR_CONFIG", CONFIG_DIR + "/" + CONFIG_FILE);
        value(env, "SIDECAR_UPSTREAM_API_KEY_FILE", KEY_DIR + "/" + KEY_FILE);
        if (spec.policyOpsSecret().isEmpty()) {
            value(env, "SIDECAR_POLICY_DIR", POLICY_DIR);
        }
        if (spec.adminToken().isPresent()) {
            value(env, "SIDECAR_ADMIN_TOKEN_FILE", ADMIN_TOKEN_DIR + "/" + ADMIN_TOKEN_FILE);
        }
        value(env, "SIDECAR_TERMINATION_GRACE_PERIOD", gracePeriodSeconds + "s");
        // The fail-open replay ledger on the pod's emptyDir: it outlives a crashed or OOM-killed sidecar container
        // (the kubelet restarts it in the same pod), so usage admitted during a Redis outage is still replayed.
        value(env, "SIDECAR_BUDGET_LEDGER_FILE", "/tmp/llm-sidecar-budget-ledger");
        field(env, "SIDECAR_POD_NAMESPACE", "metadata.namespace");
        field(env, "SIDECAR_POD_NAME", "metadata.name");
        field(env, "SIDECAR_POD_SERVICE_ACCOUNT", "spec.serviceAccountName");
        appLabel.ifPresent(label -> field(env, "SIDECAR_POD_APP", "metadata.labels['" + label + "']"));
        if (team) {
            field(env, "SIDECAR_TEAM", "metadata.annotations['" + PodMutator.ANNOTATION_TEAM + "']");
        }
        // Traces: the pod's own OTEL_* annotations win over the namespace's llm-sidecar-otel ConfigMap (an env entry
        // wins over envFrom), which wins over the tracing node of the sidecar's application.yaml.
        for (String variable : otel) {
            field(env, variable, "metadata.annotations['" + PodMutator.ANNOTATION_PREFIX + variable + "']");
        }
        c.putArray("envFrom").addObject().putObject("configMapRef").put("name", OTEL_CONFIG_MAP)
                .put("optional", true);

        ObjectNode resources = c.putObject("resources");
        resources.putObject("requests").put("cpu", spec.cpuRequest()).put("memory", spec.memoryRequest());
        resources.putObject("limits").put("cpu", spec.cpuLimit()).put("memory", spec.memoryLimit());

        ArrayNode mounts = c.putArray("volumeMounts");
        mount(mounts, KEY_VOLUME, KEY_DIR, true);
        if (spec.policyOpsSecret().isEmpty()) {
            mount(mounts, POLICY_VOLUME, POLICY_DIR, true);
        } else {
            mount(mounts, POLICY_OPS_VOLUME, POLICY_OPS_DIR, true);
        }
        mount(mounts, CONFIG_VOLUME, CONFIG_DIR, true);
        mount(mounts, TMP_VOLUME, "/tmp", false);
        if (spec.adminToken().isPresent()) {
            mount(mounts, ADMIN_TOKEN_VOLUME, ADMIN_TOKEN_DIR, true);
        }

        // The native sidecar's startup probe holds the app containers back until the sidecar answers. On SIGTERM
        // readiness turns 503 at once while liveness stays 200 until the drain closes the sockets; liveness needs
        // 3 misses 10 s apart, longer than the drain's last seconds, so a draining sidecar is never restarted.
        c.set("startupProbe", probe("/health", 1, 120));
        c.set("livenessProbe", probe("/health/live", 10, 3));
        c.set("readinessProbe", probe("/health/ready", 5, 2));

        ObjectNode security = c.putObject("securityContext");
        security.put("runAsNonRoot", true);
        security.put("runAsUser", spec.runAsUser());
        security.put("runAsGroup", spec.runAsUser());
        security.put("allowPrivilegeEscalation", false);
        security.put("readOnlyRootFilesystem", true);
        security.putObject("capabilities").putArray("drop").add("ALL");
        security.putObject("seccompProfile").put("type", "RuntimeDefault");
        c.put("terminationMessagePolicy", "FallbackToLogsOnError");
        return c;
    }

    /** The sidecar's volumes, named after what they hold; the ConfigMap names may come from pod annotations. */
    List<ObjectNode> volumes(String policyConfigMap, String configConfigMap) {
        ObjectNode key = nodes.objectNode().put("name", KEY_VOLUME);
        ObjectNode secret = key.putObject("secret").put("secretName", spec.secretName());
        secret.putArray("items").addObject().put("key", spec.secretKey()).put("path", KEY_FILE);
        secret.put("defaultMode", KEY_FILE_MODE);

        ObjectNode policies = nodes.objectNode().put("name", POLICY_VOLUME);
        policies.putObject("configMap").put("name", policyConfigMap);
        ObjectNode config = nodes.objectNode().put("name", CONFIG_VOLUME);
        config.putObject("configMap").put("name", configConfigMap);
        // The root filesystem is read-only; the JVM and the opa compiler need a scratch directory.
        ObjectNode tmp = nodes.objectNode().put("name", TMP_VOLUME);
        tmp.putObject("emptyDir").put("sizeLimit", "64Mi");
        List<ObjectNode> volumes = new java.util.ArrayList<>(List.of(key, config, tmp));
        if (spec.policyOpsSecret().isEmpty()) {
            volumes.add(1, policies);
        } else {
            ObjectNode ops = nodes.objectNode().put("name", POLICY_OPS_VOLUME);
            ops.putObject("secret").put("secretName", spec.policyOpsSecret().get()).put("defaultMode", KEY_FILE_MODE);
            volumes.add(1, ops);
        }
        if (spec.adminToken().isPresent()) {
            SidecarSpec.SecretRef ref = spec.adminToken().get();
            ObjectNode admin = nodes.objectNode().put("name", ADMIN_TOKEN_VOLUME);
            ObjectNode adminSecret = admin.putObject("secret").put("secretName", ref.name());
            adminSecret.putArray("items").addObject().put("key", ref.key()).put("path", ADMIN_TOKEN_FILE);
            adminSecret.put("defaultMode", KEY_FILE_MODE);
            volumes.add(admin);
        }
        return List.copyOf(volumes);
    }

    private ObjectNode probe(String path, int periodSeconds, int failureThreshold) {
        ObjectNode probe = nodes.objectNode();
        probe.putObject("httpGet").put("path", path).put("port", spec.adminPort()).put("scheme", "HTTP");
        probe.put("periodSeconds", periodSeconds);
        probe.put("timeoutSeconds", 2);
        probe.put("failureThreshold", failureThreshold);
        return probe;
    }

    private static void value(ArrayNode env, String name, String value) {
        env.addObject().put("name", name).put("value", value);
    }

    private static void field(ArrayNode env, String name, String fieldPath) {
        env.addObject().put("name", name).putObject("valueFrom").putObject("fieldRef")
                .put("apiVersion", "v1").put("fieldPath", fieldPath);
    }

    private static void mount(ArrayNode mounts, String volume, String path, boolean readOnly) {
        mounts.addObject().put("name", volume).put("mountPath", path).put("readOnly", readOnly);
    }
}
