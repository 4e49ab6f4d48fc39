package io.llmsidecar.config;

import io.llmsidecar.SidecarConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigValuesTest {
    private static SidecarConfig config(Map<String, String> env) {
        return SidecarConfig.create(ConfigLoader.load(SidecarEnvironment.of(env)));
    }

    @Test
    void bundledDefaultsDescribeALoopbackSidecarInFrontOfUnbound() {
        SidecarConfig c = config(Map.of());
        assertEquals("127.0.0.1", c.server().host());
        assertEquals(8686, c.server().port());
        assertEquals(9464, c.admin().port());
        assertEquals(4L * 1024 * 1024, c.server().maxBodySize());
        assertEquals(8L * 1024 * 1024, c.server().maxInflightBodyBytes());
        assertEquals(Duration.ofSeconds(5), c.server().inflightBodyWait());
        assertEquals("https://api.getunbound.ai/v1", c.upstream().url().toString());
        assertEquals("https://api.getunbound.ai/models", c.upstream().modelsUrl().toString());
        assertTrue(c.pricing().models().containsKey("gpt-4o-mini"));
    }

    @Test
    void environmentVariablesOverrideTheDefaults() {
        SidecarConfig c = config(Map.of("SIDECAR_PORT", "9000", "SIDECAR_UPSTREAM_URL", "http://gw:8080/api/v1/",
                                        "SIDECAR_UPSTREAM_READ_TIMEOUT", "90s", "SIDECAR_MAX_BODY_SIZE", "512KiB",
                                        "SIDECAR_TEAM", "payments"));
        assertEquals(9000, c.server().port());
        assertEquals("http://gw:8080/api/v1", c.upstream().url().toString());
        assertEquals("http://gw:8080/api/models", c.upstream().modelsUrl().toString());
        assertEquals(Duration.ofSeconds(90), c.upstream().readTimeout());
        assertEquals(512 * 1024, c.server().maxBodySize());
        assertEquals("payments", c.identity().team());
    }

    @Test
    void aConfigFileSitsBetweenEnvironmentAndDefaults() throws Exception {
        Path file = Files.createTempFile("sidecar", ".yaml");
        Files.writeString(file, "server:\n  port: 7000\nupstream:\n  url: http://file-gw/v1\n");
        var c = SidecarConfig.create(ConfigLoader.load(
                SidecarEnvironment.of(Map.of("SIDECAR_CONFIG", file.toString(), "SIDECAR_PORT", "7100"))));
        assertEquals(7100, c.server().port());
        assertEquals("http://file-gw/v1", c.upstream().url().toString());
    }

    @Test
    void badValuesFailNamingTheKeyTheVariableAndAValidExample() {
        ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_PORT", "eighty")));
        assertEquals("Invalid configuration 'server.port' (environment variable SIDECAR_PORT): got 'eighty', "
                     + "expected an integer from 0 to 65535.", e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_UPSTREAM_URL", "gateway:8080")));
        assertTrue(e.getMessage().contains("upstream.url") && e.getMessage().contains("https://"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_UPSTREAM_CONNECT_TIMEOUT", "soon")));
        assertTrue(e.getMessage().contains("500ms, 30s"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_MAX_BODY_SIZE", "4 lots")));
        assertTrue(e.getMessage().contains("4MiB"), e.getMessage());
    }

    @Test
    void theInFlightBodyBudgetHoldsAtLeastOneBodyOfTheLargestSize() {
        SidecarConfig c = config(Map.of("SIDECAR_MAX_INFLIGHT_BODY_BYTES", "12MiB", "SIDECAR_INFLIGHT_BODY_WAIT",
                                        "250ms"));
        assertEquals(12L * 1024 * 1024, c.server().maxInflightBodyBytes());
        assertEquals(Duration.ofMillis(250), c.server().inflightBodyWait());
        assertEquals(32L * 1024 * 1024,
                     config(Map.of("SIDECAR_MAX_BODY_SIZE", "32MiB")).server().maxInflightBodyBytes(),
                     "the default grows with the largest body");
        ConfigException e = assertThrows(ConfigException.class, () -> config(
                Map.of("SIDECAR_MAX_BODY_SIZE", "4MiB", "SIDECAR_MAX_INFLIGHT_BODY_BYTES", "1MiB")));
        assertTrue(e.getMessage().startsWith("Invalid configuration 'server.max-inflight-body-bytes' (environment "
                                             + "variable SIDECAR_MAX_INFLIGHT_BODY_BYTES): got '1048576'"),
                   e.getMessage());
        assertTrue(e.getMessage().contains("server.max-body-size (SIDECAR_MAX_BODY_SIZE"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_MAX_INFLIGHT_BODY_BYTES", "3GiB")));
        assertTrue(e.getMessage().contains("max-inflight-body-bytes"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_INFLIGHT_BODY_WAIT", "forever")));
        assertTrue(e.getMessage().contains("server.inflight-body-wait"), e.getMessage());
    }

    @Test
    void aMissingConfigFileIsReportedWithItsPath() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(Map.of(), Optional.of(Path.of("/nonexistent/sidecar.yaml"))));
        assertTrue(e.getMessage().contains("/nonexistent/sidecar.yaml"), e.getMessage());
    }

    @Test
    void bothAnInlineKeyAndAKeyFileIsAMistake() {
        ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of(
                "SIDECAR_UPSTREAM_API_KEY", "k", "SIDECAR_UPSTREAM_API_KEY_FILE", "/tmp/k")));
        assertTrue(e.getMessage().contains("Set only one"), e.getMessage());
    }

    @Test
    void misspeltVariablesAreReported() {
        assertEquals(java.util.Set.of("SIDECAR_UPSTREM_URL"),
                     SidecarEnvironment.of(Map.of("SIDECAR_UPSTREM_URL", "x", "SIDECAR_PORT", "1",
                                                  "SIDECAR_CONFIG", "f", "HOME", "/root")).unknownVariables());
    }

    @Test
    void theStaticPriceTableRejectsAnEntryWithoutAPrice() throws Exception {
        Path file = Files.createTempFile("sidecar", ".yaml");
        Files.writeString(file, "pricing:\n  models:\n    - name: m\n      input: 1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> SidecarConfig.create(
                ConfigLoader.load(Map.of(), Optional.of(file))));
        assertTrue(e.getMessage().contains("pricing.models.0.output"), e.getMessage());
    }

    @Test
    void theUpstreamConfigNeverPrintsTheKey() {
        SidecarConfig c = config(Map.of("SIDECAR_UPSTREAM_API_KEY", "sk-very-secret"));
        assertTrue(!c.upstream().toString().contains("sk-very-secret"));
        assertTrue(!c.toString().contains("sk-very-secret"));
    }
}
