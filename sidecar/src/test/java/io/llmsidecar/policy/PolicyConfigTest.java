package io.llmsidecar.policy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyConfigTest {
    @Test
    void bundledDefaultsEnforceTheBuiltInPolicyFailingClosed() {
        PolicyConfig config = policy(Map.of());
        assertTrue(config.dir().isEmpty() && config.bundle().isEmpty() && config.bundleUrl().isEmpty());
        assertEquals(PolicyConfig.FailureMode.FAIL_CLOSED, config.failureMode());
        assertEquals(Duration.ofSeconds(1), config.evaluationTimeout());
        assertInstanceOf(PolicyConfig.DecisionLogTarget.Stdout.class, config.decisionLog());
        assertFalse(config.logMessageContents());
        assertTrue(config.effectivePoolSize() >= 1);
    }

    @Test
    void readsEverySetting() {
        PolicyConfig config = policy(Map.of("policy.dir", "/etc/policy", "policy.failure-mode", "fail-open",
                                            "policy.evaluation-timeout", "50ms", "policy.pool-size", "3",
                                            "policy.decision-log", "/var/log/decisions.jsonl",
                                            "policy.shadow-dir", "/etc/shadow"));
        assertEquals(Optional.of(Path.of("/etc/policy")), config.dir());
        assertEquals(Optional.of(Path.of("/etc/shadow")), config.shadowDir());
        assertEquals(PolicyConfig.FailureMode.FAIL_OPEN, config.failureMode());
        assertEquals(Duration.ofMillis(50), config.evaluationTimeout());
        assertEquals(3, config.effectivePoolSize());
        assertEquals(new PolicyConfig.DecisionLogTarget.File(Path.of("/var/log/decisions.jsonl")),
                     config.decisionLog());
    }

    @Test
    void anUnknownFailureModeNamesTheKeyAndTheValidValues() {
        var e = assertThrows(ConfigException.class, () -> policy(Map.of("policy.failure-mode", "sometimes")));
        assertEquals("Invalid configuration 'policy.failure-mode' (environment variable SIDECAR_POLICY_FAILURE_MODE): "
                     + "got 'sometimes', expected fail-closed or fail-open.", e.getMessage());
    }

    @Test
    void refusesTwoPolicySources() {
        var e = assertThrows(ConfigException.class,
                             () -> policy(Map.of("policy.dir", "/a", "policy.bundle", "/b.tar.gz")));
        assertTrue(e.getMessage().contains("only one policy source"), e.getMessage());
    }

    private static PolicyConfig policy(Map<String, String> overrides) {
        Config root = ConfigLoader.load(overrides, Optional.empty());
        return PolicyConfig.create(root.get("policy"));
    }
}
