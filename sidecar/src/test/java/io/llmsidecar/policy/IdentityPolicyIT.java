package io.llmsidecar.policy;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.identity.TeamSource;
import io.llmsidecar.metrics.SidecarMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped identity policy compiled to Wasm, with data that narrows header teams: the decision contract
 * ({@code input.subject.team_source}) cannot drift between the Java input and the Rego.
 */
class IdentityPolicyIT {
    private static final PodIdentity POD = new PodIdentity("shop", "checkout-1", "checkout", "checkout", "payments",
                                                           true);

    @Test
    void deniesAHeaderTeamOutsideTheListAndNeverThePodsTeam(@TempDir Path dir) throws Exception {
        Path policies = TestPolicies.copyDefaults(dir.resolve("policies"));
        String data = Files.readString(policies.resolve("data.json"))
                .replace("\"header_teams_allowed\": [\"*\"]", "\"header_teams_allowed\": [\"search\"]");
        assertTrue(data.contains("[\"search\"]"), "data.json no longer ships header_teams_allowed: " + data);
        Files.writeString(policies.resolve("data.json"), data);
        try (PolicyEngine engine = PolicyEngine.start(TestPolicies.config(Optional.of(policies), Optional.empty(), 2,
                                                                          Duration.ofSeconds(5)),
                                                      new SidecarMetrics("test"))) {
            Decision.Deny deny = assertInstanceOf(Decision.Deny.class, evaluate(engine, new Subject(
                    "someone-else", "", POD, TeamSource.HEADER)));
            assertEquals(List.of("header_team_not_allowed"),
                         deny.reasons().stream().map(Decision.Reason::code).toList());
            assertTrue(deny.reasons().getFirst().message().contains("allowed: search."), deny.toString());

            assertInstanceOf(Decision.Allow.class, evaluate(engine, new Subject("search", "", POD,
                                                                                 TeamSource.HEADER)));
            assertInstanceOf(Decision.Allow.class, evaluate(engine, new Subject("payments", "", POD,
                                                                                 TeamSource.POD)));
        }
    }

    private static Decision evaluate(PolicyEngine engine, Subject subject) {
        return engine.evaluate(PolicyInput.of("it", PolicyFixtures.request(PolicyFixtures.body("gpt-4o-mini", "hi")),
                                              subject, PolicyFixtures.estimate(8, 256), List.of()));
    }
}
