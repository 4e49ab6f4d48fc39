package io.llmsidecar.inject;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code inject} node, read the way Main reads it: bundled defaults under SIDECAR_INJECT_* variables. */
class InjectConfigTest {
    private static final Map<String, String> REQUIRED = Map.of(
            "SIDECAR_INJECT_TLS_CERT", "/tls/tls.crt",
            "SIDECAR_INJECT_TLS_KEY", "/tls/tls.key",
            "SIDECAR_INJECT_IMAGE", "registry.example.com/llm-sidecar:0.1.0");

    @Test
    void bundledDefaultsDescribeTheDocumentedSidecar() {
        InjectConfig config = read(Map.of());

        assertEquals(8443, config.port());
        assertEquals(Path.of("/tls/tls.crt"), config.tlsCert());
        assertEquals(Duration.ofSeconds(10), config.tlsReloadInterval());
        SidecarSpec sidecar = config.sidecar();
        assertEquals("registry.example.com/llm-sidecar:0.1.0", sidecar.image());
        assertTrue(sidecar.nativeSidecar());
        assertEquals(8686, sidecar.proxyPort());
        assertEquals(9464, sidecar.adminPort());
        assertEquals("llm-sidecar-gateway", sidecar.secretName());
        assertEquals("llm-sidecar-policies", sidecar.policyConfigMap());
        assertEquals("384Mi", sidecar.memoryLimit());
    }

    @Test
    void everySettingHasItsVariable() {
        InjectConfig config = read(Map.of("SIDECAR_INJECT_PORT", "9443", "SIDECAR_INJECT_NATIVE_SIDECAR", "false",
                                          "SIDECAR_INJECT_PROXY_PORT", "18686",
                                          "SIDECAR_INJECT_POLICY_CONFIG_MAP", "team-policies",
                                          "SIDECAR_INJECT_CPU_LIMIT", "500m"));

        assertEquals(9443, config.port());
        assertEquals(false, config.sidecar().nativeSidecar());
        assertEquals(18686, config.sidecar().proxyPort());
        assertEquals("team-policies", config.sidecar().policyConfigMap());
        assertEquals("500m", config.sidecar().cpuLimit());
    }

    @Test
    void namesTheVariableOfAMissingRequiredSetting() {
        for (String variable : REQUIRED.keySet()) {
            Map<String, String> env = new HashMap<>(REQUIRED);
            env.remove(variable);

            ConfigException e = assertThrows(ConfigException.class, () -> InjectConfig.create(
                    ConfigLoader.load(SidecarEnvironment.of(env).overrides(), Optional.empty()).get("inject")));
            assertTrue(e.getMessage().contains(variable), e.getMessage());
        }
    }

    @Test
    void rejectsValuesKubernetesWouldRefuseAndSaysWhatFits() {
        assertMessage(Map.of("SIDECAR_INJECT_IMAGE_PULL_POLICY", "Sometimes"), "SIDECAR_INJECT_IMAGE_PULL_POLICY",
                      "Always, IfNotPresent or Never");
        assertMessage(Map.of("SIDECAR_INJECT_MEMORY_LIMIT", "lots"), "SIDECAR_INJECT_MEMORY_LIMIT", "192Mi");
        assertMessage(Map.of("SIDECAR_INJECT_SECRET_NAME", "Gateway_Key"), "SIDECAR_INJECT_SECRET_NAME",
                      "object name");
        assertMessage(Map.of("SIDECAR_INJECT_ADMIN_PORT", "8686"), "SIDECAR_INJECT_ADMIN_PORT", "proxy-port");
    }

    private static void assertMessage(Map<String, String> env, String variable, String hint) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(env));
        assertTrue(e.getMessage().contains(variable) && e.getMessage().contains(hint), e.getMessage());
    }

    private static InjectConfig read(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(REQUIRED);
        all.putAll(env);
        return InjectConfig.create(ConfigLoader.load(SidecarEnvironment.of(all).overrides(), Optional.empty())
                                           .get("inject"));
    }
}
