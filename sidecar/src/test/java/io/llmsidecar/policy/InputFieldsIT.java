package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.metrics.SidecarMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Policies compiled by the real opa get the input fields they read, whichever way they read them, and the decision
 * log keeps the whole document when the policy's module was given less.
 */
class InputFieldsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Denies when the request's budget is named in the input it got; {@code READ} is how it reads budgets. */
    private static final String POLICY = """
            package sidecar

            decision := {"allow": count(reasons) == 0, "reasons": reasons, "patch": {}}

            reasons contains {"code": "budget_seen", "message": b.budget} if {
            	some b in READ
            }

            reasons contains {"code": "time_seen", "message": "hour"} if {
            	data.check_time
            	input.time.hour == 12
            }
            """;

    @Test
    void aPolicyGetsTheFieldsItReadsHoweverItReadsThem(@TempDir Path dir) throws Exception {
        Map<String, Set<String>> expectedFields = Map.of(
                "input.budgets", Set.of("budgets", "time"),
                "input[\"budgets\"]", Set.of("budgets", "time"),
                "object.get(input, \"budgets\", [])", Set.of(),
                "[x | some k, v in input; k == \"budgets\"; some x in v]", Set.of());
        for (var read : expectedFields.entrySet()) {
            Path policy = Files.createDirectories(dir.resolve("p" + Math.abs(read.getKey().hashCode())));
            Files.writeString(policy.resolve("decision.rego"), POLICY.replace("READ", read.getKey()));
            Files.writeString(policy.resolve("data.json"), "{\"check_time\": true}");
            try (PolicyEngine engine = PolicyEngine.start(TestPolicies.config(Optional.of(policy), Optional.empty(), 1,
                                                                              Duration.ofSeconds(5)),
                                                          new SidecarMetrics("test"))) {
                InputFields fields = engine.enforcedLoader().active().orElseThrow().inputFields();
                assertEquals(read.getValue().isEmpty() ? InputFields.EVERY : new InputFields.Only(read.getValue()),
                             fields, read.getKey());
                Decision.Deny deny = assertInstanceOf(Decision.Deny.class, engine.evaluate(input()), read.getKey());
                assertEquals(List.of("budget_seen", "time_seen"),
                             deny.reasons().stream().map(Decision.Reason::code).sorted().toList(), read.getKey());
            }
        }
    }

    @Test
    void theDefaultPolicyIsGivenLessAndTheDecisionLogKeepsTheWholeDocument(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("decisions.jsonl");
        PolicyConfig config = new PolicyConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                               Optional.empty(), Optional.empty(),
                                               PolicyConfig.FailureMode.FAIL_CLOSED, Duration.ofSeconds(5), 1,
                                               Duration.ofMillis(100), Duration.ofMillis(100),
                                               new PolicyConfig.DecisionLogTarget.File(log), false, true);
        try (PolicyEngine engine = PolicyEngine.start(config, new SidecarMetrics("test"))) {
            InputFields fields = engine.enforcedLoader().active().orElseThrow().inputFields();
            assertEquals(new InputFields.Only(Set.of("request", "findings", "subject", "estimate")), fields);
            assertInstanceOf(Decision.Allow.class, engine.evaluate(input()));
        }
        JsonNode event = JSON.readTree(Files.readAllLines(log).getFirst());
        assertEquals(JSON.readTree(input().json(false)).get("budgets"), event.at("/input/budgets"));
        assertTrue(event.at("/input/time/hour").isInt(), event.toString());
    }

    private static PolicyInput input() {
        return PolicyInput.of("it", PolicyFixtures.request(PolicyFixtures.body("gpt-4o-mini", "Plan meals.")),
                              PolicyFixtures.SUBJECT, PolicyFixtures.estimate(5, 10),
                              List.of(PolicyFixtures.teamBudget()), PolicyFixtures.NOW);
    }
}
