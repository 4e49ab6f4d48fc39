package io.llmsidecar.inject;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code inject.sidecar} node: the container the injector adds and the objects it mounts into it. The Secret and
 * ConfigMaps live in each app namespace (see {@code k8s/base}); a pod may name other ConfigMaps through annotations.
 *
 * @param image           the sidecar image, normally the one the injector itself runs ({@code SIDECAR_INJECT_IMAGE})
 * @param nativeSidecar   whether to inject a native sidecar (Kubernetes 1.29+) unless a pod says otherwise
 * @param proxyPort       the port apps call; their {@code OPENAI_BASE_URL} and {@code ANTHROPIC_BASE_URL} point at it
 * @param adminPort       health and metrics; bound to all interfaces so the kubelet and Prometheus reach it
 * @param secretName      the Secret holding the gateway key, mounted into the sidecar only
 * @param secretKey       the key inside that Secret
 * @param policyConfigMap the ConfigMap of Rego policies and data ({@code SIDECAR_POLICY_DIR})
 * @param configConfigMap the ConfigMap holding the sidecar's {@code application.yaml} ({@code SIDECAR_CONFIG})
 * @param runAsUser       the non-root user the sidecar runs as; matches the image's user
 * @param adminToken      the Secret holding the admin API's bearer token, mounted into the sidecar only and named
 *                        by {@code SIDECAR_ADMIN_TOKEN_FILE}; empty leaves the admin API off (403)
 * @param policyOpsSecret the Secret of central policy operations (the bundle server's and the decision-log
 *                        collector's tokens, the bundle verification key), mounted whole into the sidecar only at
 *                        {@code /var/run/secrets/llm-sidecar-policy-ops}; the policy then comes from the bundle
 *                        server that the sidecar's config names, so no policy ConfigMap is mounted
 */
public record SidecarSpec(String image, String imagePullPolicy, boolean nativeSidecar, int proxyPort, int adminPort,
                          String secretName, String secretKey, String policyConfigMap, String configConfigMap,
                          String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit,
                          long runAsUser, Optional<SecretRef> adminToken, Optional<String> policyOpsSecret) {
    public static final String DEFAULT_PULL_POLICY = "IfNotPresent";
    public static final int DEFAULT_PROXY_PORT = 8686;
    public static final int DEFAULT_ADMIN_PORT = 9464;
    public static final String DEFAULT_SECRET_NAME = "llm-sidecar-gateway";
    public static final String DEFAULT_SECRET_KEY = "api-key";
    public static final String DEFAULT_POLICY_CONFIG_MAP = "llm-sidecar-policies";
    public static final String DEFAULT_CONFIG_CONFIG_MAP = "llm-sidecar-config";
    public static final String DEFAULT_CPU_REQUEST = "50m";
    public static final String DEFAULT_MEMORY_REQUEST = "160Mi";
    public static final String DEFAULT_CPU_LIMIT = "1";
    public static final String DEFAULT_MEMORY_LIMIT = "384Mi";
    public static final long DEFAULT_RUN_AS_USER = 65532;
    public static final String DEFAULT_ADMIN_TOKEN_SECRET_KEY = "token";

    /** A sidecar whose policy comes from a ConfigMap. */
    public SidecarSpec(String image, String imagePullPolicy, boolean nativeSidecar, int proxyPort, int adminPort,
                       String secretName, String secretKey, String policyConfigMap, String configConfigMap,
                       String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit, long runAsUser,
                       Optional<SecretRef> adminToken) {
        this(image, imagePullPolicy, nativeSidecar, proxyPort, adminPort, secretName, secretKey, policyConfigMap,
             configConfigMap, cpuRequest, memoryRequest, cpuLimit, memoryLimit, runAsUser, adminToken,
             Optional.empty());
    }

    /** A sidecar without an admin token: its admin API stays off. */
    public SidecarSpec(String image, String imagePullPolicy, boolean nativeSidecar, int proxyPort, int adminPort,
                       String secretName, String secretKey, String policyConfigMap, String configConfigMap,
                       String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit, long runAsUser) {
        this(image, imagePullPolicy, nativeSidecar, proxyPort, adminPort, secretName, secretKey, policyConfigMap,
             configConfigMap, cpuRequest, memoryRequest, cpuLimit, memoryLimit, runAsUser, Optional.<SecretRef>empty());
    }

    /** A key of a Secret in the pod's namespace. */
    public record SecretRef(String name, String key) {
    }

    private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");
    // Kubernetes' own quantity grammar, simplified: a decimal number and an optional SI or binary suffix.
    private static final Pattern QUANTITY = Pattern.compile("[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");

    public static SidecarSpec create(Config node) {
        String image = ConfigValues.string(node.get("image")).orElseThrow(() -> new ConfigException(
                "Injector mode needs inject.sidecar.image (SIDECAR_INJECT_IMAGE): the sidecar image to inject, such "
                + "as registry.example.com/llm-sidecar:0.1.0. The kustomize bundle sets it to the injector's own "
                + "image."));
        String pullPolicy = ConfigValues.string(node.get("image-pull-policy"), DEFAULT_PULL_POLICY);
        if (!PULL_POLICIES.contains(pullPolicy)) {
            throw ConfigValues.invalid(node.get("image-pull-policy"), pullPolicy, "Always, IfNotPresent or Never");
        }
        int proxyPort = ConfigValues.integer(node.get("proxy-port"), DEFAULT_PROXY_PORT, 1, 65535);
        int adminPort = ConfigValues.integer(node.get("admin-port"), DEFAULT_ADMIN_PORT, 1, 65535);
        if (proxyPort == adminPort) {
            throw ConfigValues.invalid(node.get("admin-port"), String.valueOf(adminPort),
                                       "a port other than inject.sidecar.proxy-port");
        }
        return new SidecarSpec(image, pullPolicy,
                               ConfigValues.bool(node.get("native"), true),
                               proxyPort, adminPort,
                               matching(node.get("secret-name"), DEFAULT_SECRET_NAME, DNS_SUBDOMAIN),
                               matching(node.get("secret-key"), DEFAULT_SECRET_KEY, SECRET_KEY),
                               matching(node.get("policy-config-map"), DEFAULT_POLICY_CONFIG_MAP, DNS_SUBDOMAIN),
                               matching(node.get("config-config-map"), DEFAULT_CONFIG_CONFIG_MAP, DNS_SUBDOMAIN),
                               matching(node.get("cpu-request"), DEFAULT_CPU_REQUEST, QUANTITY),
                               matching(node.get("memory-request"), DEFAULT_MEMORY_REQUEST, QUANTITY),
                               matching(node.get("cpu-limit"), DEFAULT_CPU_LIMIT, QUANTITY),
                               matching(node.get("memory-limit"), DEFAULT_MEMORY_LIMIT, QUANTITY),
                               ConfigValues.longValue(node.get("run-as-user"), DEFAULT_RUN_AS_USER, 1,
                                                      Integer.MAX_VALUE),
                               adminToken(node),
                               ConfigValues.string(node.get("policy-ops-secret-name"))
                                       .map(n -> matching(node.get("policy-ops-secret-name"), n, DNS_SUBDOMAIN)));
    }

    private static Optional<SecretRef> adminToken(Config node) {
        Optional<String> name = ConfigValues.string(node.get("admin-token-secret-name"));
        String key = matching(node.get("admin-token-secret-key"), DEFAULT_ADMIN_TOKEN_SECRET_KEY, SECRET_KEY);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new SecretRef(matching(node.get("admin-token-secret-name"), name.get(), DNS_SUBDOMAIN), key));
    }

    /** Whether {@code name} could name a Secret or ConfigMap; annotations naming one are checked with it. */
    static boolean isObjectName(String name) {
        return DNS_SUBDOMAIN.matcher(name).matches();
    }

    private static String matching(Config node, String defaultValue, Pattern pattern) {
        String value = ConfigValues.string(node, defaultValue);
        if (!pattern.matcher(value).matches()) {
            String expected = pattern == QUANTITY ? "a Kubernetes quantity such as 50m, 1, 192Mi or 1Gi"
                    : pattern == SECRET_KEY ? "a Secret key such as api-key"
                    : "a Kubernetes object name such as llm-sidecar-policies (lower case, digits, '-' and '.')";
            throw ConfigValues.invalid(node, value, expected);
        }
        return value;
    }
}
