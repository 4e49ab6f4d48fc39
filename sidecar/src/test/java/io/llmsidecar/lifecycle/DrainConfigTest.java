package io.llmsidecar.lifecycle;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DrainConfigTest {
    private static DrainConfig of(Map<String, String> values) {
        return DrainConfig.create(ConfigLoader.load(values, Optional.empty()).get("server"));
    }

    @Test
    void defaultsFitKubernetesDefaultGracePeriod() {
        DrainConfig config = of(Map.of());
        assertEquals(Duration.ofSeconds(5), config.delay());
        assertEquals(Duration.ofSeconds(20), config.timeout());
        assertTrue(config.longest().compareTo(Duration.ofSeconds(30)) <= 0);
    }

    @Test
    void refusesADrainLongerThanTheGracePeriodNamingTheKeysAndVariables() {
        ConfigException e = assertThrows(ConfigException.class, () -> of(Map.of("server.drain-timeout", "25s")));
        assertTrue(e.getMessage().contains("SIDECAR_DRAIN_TIMEOUT, 25s"), e.getMessage());
        assertTrue(e.getMessage().contains("terminationGracePeriodSeconds"), e.getMessage());
        assertEquals(Duration.ofSeconds(25), of(Map.of("server.drain-timeout", "25s",
                                                       "server.termination-grace-period", "60s")).timeout());
    }

    @Test
    void fitsTheDefaultsIntoAShorterGracePeriod() {
        DrainConfig config = of(Map.of("server.termination-grace-period", "15s"));
        assertEquals(Duration.ofMillis(3000), config.delay());
        assertEquals(Duration.ofSeconds(9), config.timeout());
        assertThrows(ConfigException.class, () -> of(Map.of("server.termination-grace-period", "15s",
                                                            "server.drain-delay", "5s")));
    }

    @Test
    void refusesAZeroTimeout() {
        ConfigException e = assertThrows(ConfigException.class, () -> of(Map.of("server.drain-timeout", "0")));
        assertTrue(e.getMessage().contains("server.drain-timeout"), e.getMessage());
    }
}
