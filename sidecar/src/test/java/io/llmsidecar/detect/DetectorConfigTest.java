package io.llmsidecar.detect;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DetectorConfigTest {
    @Test
    void looksForNoPersonalDataByDefault() {
        assertEquals(Set.of(), detectors(Map.of()).pii());
        assertEquals(Set.of(), Detectors.create(detectors(Map.of())).enabled().stream()
                .filter(FindingKind::pii).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void readsTheKindsFromACommaSeparatedVariable() {
        assertEquals(Set.of(FindingKind.EMAIL, FindingKind.PHONE),
                     detectors(Map.of("policy.detectors.pii", "email, phone")).pii());
        assertEquals(Set.of(FindingKind.EMAIL), detectors(Map.of("policy.detectors.pii", "EMAIL")).pii());
    }

    @Test
    void anUnknownKindNamesTheKeyAndTheValidValues() {
        var e = assertThrows(ConfigException.class, () -> detectors(Map.of("policy.detectors.pii", "email,ssn")));
        assertEquals("Invalid configuration 'policy.detectors.pii' (environment variable SIDECAR_POLICY_DETECTORS_PII):"
                     + " got 'ssn', expected a list of email, phone (or none).", e.getMessage());
    }

    private static DetectorConfig detectors(Map<String, String> overrides) {
        Config root = ConfigLoader.load(overrides, Optional.empty());
        return DetectorConfig.create(root.get("policy.detectors"));
    }
}
