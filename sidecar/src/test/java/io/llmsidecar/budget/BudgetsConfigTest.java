package io.llmsidecar.budget;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigLoader;
import io.llmsidecar.config.SidecarEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetsConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsTheIssuesExample() throws IOException {
        BudgetsConfig config = load("""
                budgets:
                  - name: team-daily
                    scope: [team]
                    window: day
                    tokens: 1000000
                    usd: 50.00
                  - {name: global.monthly, window: month, usd: 0.000000001}
                rate-limits:
                  - name: app-rpm
                    scope: [app, model]
                    requests-per-minute: 600
                    tokens-per-minute: 200000
                """, Map.of());

        assertEquals(List.of(new Budget("team-daily", List.of(Scope.TEAM), Window.DAY, OptionalLong.of(1_000_000),
                                        OptionalLong.of(50_000_000_000L)),
                             new Budget("global.monthly", List.of(), Window.MONTH, OptionalLong.empty(),
                                        OptionalLong.of(1))),
                     config.budgets());
        assertEquals(List.of(new RateLimit("app-rpm", List.of(Scope.APP, Scope.MODEL), 600, OptionalLong.of(200_000))),
                     config.rateLimits());
        assertEquals(new BudgetStoreConfig(Optional.empty(), false, FailureMode.FAIL_OPEN, Duration.ofMinutes(2),
                                           Duration.ofMillis(500), Duration.ofSeconds(2), "llm-sidecar:{budgets}:",
                                           ExpiredReservations.CHARGE, Optional.empty(), Duration.ofSeconds(30)),
                     config.store(), "the bundled defaults");
        assertTrue(config.enabled());
    }

    @Test
    void noBudgetsMeansNothingToEnforce() throws IOException {
        assertFalse(load("", Map.of()).enabled());
    }

    @Test
    void failsStartupNamingTheEntryAndTheValidValues() {
        assertEquals("budgets[1] (team-daily): scope 'teem' is not one of team, user, app, namespace, model.",
                     error("""
                           budgets:
                             - {name: ok, window: day, tokens: 1}
                             - {name: team-daily, scope: [teem], window: day, tokens: 5}
                           """));
        assertEquals("budgets[0] (b): window 'week' is not one of minute, hour, day, month.",
                     error("budgets: [{name: b, window: week, tokens: 5}]"));
        assertEquals("budgets[0] (b): sets neither tokens nor usd; give at least one limit, e.g. tokens: 1000000.",
                     error("budgets: [{name: b, window: day}]"));
        assertEquals("budgets[0] (b): tokens '-5' is not a whole number from 1 to 9007199254740992.",
                     error("budgets: [{name: b, window: day, tokens: -5}]"));
        assertEquals("budgets[0] (b): usd '9999999999' must be more than 0 and at most 9007199.254740992.",
                     error("budgets: [{name: b, window: day, usd: 9999999999}]"));
        assertEquals("budgets[0] (b): scope names 'team' twice.",
                     error("budgets: [{name: b, scope: [team, team], window: day, tokens: 1}]"));
        assertEquals("budgets[1] (b): the name is already used by an earlier entry; give each entry its own name.",
                     error("budgets: [{name: b, window: day, tokens: 1}, {name: b, window: hour, tokens: 1}]"));
        assertEquals("budgets[0]: name 'a b' may only use letters, digits, '.', '_' and '-' (at most 64), such as "
                     + "team-daily.", error("budgets: [{name: 'a b', window: day, tokens: 1}]"));
        assertEquals("rate-limits[0] (r): has no requests-per-minute; set it, e.g. requests-per-minute: 600.",
                     error("rate-limits: [{name: r, scope: [app]}]"));
    }

    @Test
    void storeSettingsComeFromTheEnvironmentAndNeverPrintThePassword() throws IOException {
        Map<String, String> env = SidecarEnvironment.of(Map.of(
                "SIDECAR_REDIS_URI", "redis://:s3cret@redis:6379/0",
                "SIDECAR_BUDGET_FAILURE_MODE", "fail-closed",
                "SIDECAR_BUDGET_RESERVATION_TTL", "30s")).overrides();

        BudgetStoreConfig store = load("", env).store();

        assertEquals(Optional.of("redis://:s3cret@redis:6379/0"), store.redisUri());
        assertEquals(FailureMode.FAIL_CLOSED, store.failureMode());
        assertEquals(Duration.ofSeconds(30), store.reservationTtl());
        assertFalse(store.toString().contains("s3cret"), store.toString());
        assertEquals("Invalid configuration 'budget-store.failure-mode' (environment variable "
                     + "SIDECAR_BUDGET_FAILURE_MODE): got 'maybe', expected fail-open or fail-closed.",
                     assertThrows(ConfigException.class,
                                  () -> load("", Map.of("budget-store.failure-mode", "maybe"))).getMessage());
        String badUri = assertThrows(ConfigException.class,
                                     () -> load("", Map.of("budget-store.redis-uri", "http://:pw@redis"))).getMessage();
        assertTrue(badUri.contains("SIDECAR_REDIS_URI") && !badUri.contains(":pw@"), badUri);
    }

    @Test
    void clusterNeedsAHashTagInThePrefix() {
        String message = assertThrows(ConfigException.class, () -> load("", Map.of(
                "budget-store.cluster", "true", "budget-store.key-prefix", "llm:"))).getMessage();
        assertTrue(message.contains("hash tag"), message);
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml, Map.of())).getMessage();
    }

    private BudgetsConfig load(String yaml, Map<String, String> overrides) throws IOException {
        Path file = dir.resolve("sidecar.yaml");
        Files.writeString(file, yaml);
        return BudgetsConfig.create(ConfigLoader.load(overrides, Optional.of(file)));
    }
}
