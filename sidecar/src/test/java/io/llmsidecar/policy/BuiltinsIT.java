package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Project;
import io.llmsidecar.metrics.SidecarMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A differential test of the host builtins: the same Rego evaluated by OPA itself ({@code opa eval}, Go) and by
 * the sidecar (compiled to Wasm, builtins in Java) must give the same values.
 */
class BuiltinsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void hostBuiltinsAgreeWithOpaAndTimeIsTheInputsTime(@TempDir Path dir) throws Exception {
        Path policy = TestPolicies.copyResource("builtins", dir.resolve("builtins"));
        JsonNode expected = opaEval(policy);

        Map<String, JsonNode> actual = new HashMap<>();
        PolicyInput input = PolicyFixtures.exampleInput();
        try (PolicyEngine engine = PolicyEngine.start(TestPolicies.config(Optional.of(policy), Optional.empty(), 1,
                                                                          Duration.ofSeconds(5)),
                                                      new SidecarMetrics("test"))) {
            for (Decision.Reason reason : assertInstanceOf(Decision.Deny.class, engine.evaluate(input)).reasons()) {
                actual.put(reason.code(), JSON.readTree(reason.message()));
            }
            // An extra decision field, outside the contract, so read from the raw result set.
            InstancePool pool = engine.enforcedLoader().active().orElseThrow().pool();
            PolicyInstance instance = pool.borrow(Duration.ofSeconds(5).toNanos());
            String raw = instance.evaluate(input.json(), input.epochNanos(), System.nanoTime() + 5_000_000_000L);
            pool.release(instance);
            assertTrue(JSON.readTree(raw).at("/0/result/now_matches_input").booleanValue(), raw);
        }
        expected.properties().forEach(e -> assertEquals(e.getValue(), actual.get(e.getKey()), e.getKey()));
        assertEquals(expected.size(), actual.size());
    }

    private static JsonNode opaEval(Path policy) throws Exception {
        Process p = new ProcessBuilder(Project.root().resolve("scripts/opa.sh").toString(), "eval",
                                       "-f", "raw", "-d", policy.toString(), "data.sidecar.results")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return JSON.readTree(out);
    }
}
