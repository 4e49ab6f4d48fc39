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
    void readsADecisionLogServiceWithItsTokenFileAndBuffer() {
        PolicyConfig config = policy(Map.of("policy.decision-log", "https://collector.example/logs",
                                            "policy.decision-log-token-file", "/var/run/secrets/dl/token",
                                            "policy.decision-log-buffer-events", "500",
                                            "policy.decision-log-buffer-size", "1MiB",
                                            "policy.decision-log-upload-interval", "2s"));
        assertEquals(new PolicyConfig.DecisionLogTarget.Service(
                java.net.URI.create("https://collector.example/logs"),
                Optional.of(Path.of("/var/run/secrets/dl/token")),
                500, 1L << 20, Duration.ofSeconds(2)), config.decisionLog());
    }

    @Test
    void aTokenFileWithoutAServiceIsRefused() {
        var e = assertThrows(ConfigException.class,
                             () -> policy(Map.of("policy.decision-log-token-file", "/t")));
        assertTrue(e.getMessage().contains("http(s):// decision-log service"), e.getMessage());
    }

    @Test
    void theRetiredMessageContentsSwitchFailsStartupSayingWhatToUseInstead() {
        var e = assertThrows(ConfigException.class, () -> policy(Map.of("policy.log-message-contents", "true")));
        assertTrue(e.getMessage().startsWith("Invalid configuration 'policy.log-message-contents' (environment "
                                             + "variable SIDECAR_DECISION_LOG_MESSAGES)"), e.getMessage());
        assertTrue(e.getMessage().contains("data.config.input.include_text"), e.getMessage());
        assertFalse(policy(Map.of("policy.log-message-contents", "false")).logMessageContents(),
                    "false still starts");
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
