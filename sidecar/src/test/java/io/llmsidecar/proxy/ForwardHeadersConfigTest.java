package io.llmsidecar.proxy;

import io.llmsidecar.SidecarConfig;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code upstream.forward-headers}: how operators extend the allow-list, and what startup refuses. */
class ForwardHeadersConfigTest {
    private static SidecarConfig config(Map<String, String> env) {
        return SidecarConfig.create(ConfigLoader.load(SidecarEnvironment.of(env)));
    }

    @Test
    void theBundledDefaultsAddNothingToTheBuiltInList() {
        assertEquals(List.of(), config(Map.of()).upstream().forwardHeaders());
    }

    @Test
    void theEnvironmentVariableTakesACommaSeparatedList() {
        assertEquals(List.of("baggage", "x-b3-traceid", "x-acme-*"),
                     config(Map.of("SIDECAR_UPSTREAM_FORWARD_HEADERS", " baggage, x-b3-traceid,,x-acme-* "))
                             .upstream().forwardHeaders());
    }

    @Test
    void aYamlListWorksToo() throws Exception {
        Path file = Files.createTempFile("sidecar", ".yaml");
        Files.writeString(file, "upstream:\n  forward-headers: [x-b3-traceid, baggage]\n");
        assertEquals(List.of("x-b3-traceid", "baggage"), SidecarConfig.create(
                ConfigLoader.load(Map.of(), Optional.of(file))).upstream().forwardHeaders());
    }

    @Test
    void aHeaderTheSidecarControlsStopsStartupNamingTheKeyTheVariableAndTheReason() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> config(Map.of("SIDECAR_UPSTREAM_FORWARD_HEADERS", "baggage,X-Api-Key")));
        assertTrue(e.getMessage().startsWith("Invalid configuration 'upstream.forward-headers' (environment "
                                             + "variable SIDECAR_UPSTREAM_FORWARD_HEADERS): got 'X-Api-Key', "
                                             + "expected a header the sidecar does not control; x-api-key is a "
                                             + "credential"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_UPSTREAM_FORWARD_HEADERS", "x-*")));
        assertTrue(e.getMessage().contains("x-* would cover "), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> config(Map.of("SIDECAR_UPSTREAM_FORWARD_HEADERS", "X-HTTP-Method-Override")));
        assertTrue(e.getMessage().contains("override the method or path"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> config(Map.of("SIDECAR_UPSTREAM_FORWARD_HEADERS", "Host")));
        assertTrue(e.getMessage().contains("hop-by-hop or framing"), e.getMessage());
    }
}
