package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Policies that cannot be evaluated: the sidecar fails closed by default, open when configured, counted both ways. */
class PolicyFailureIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static StubUpstream upstream;
    private static TestSidecar closed;
    private static TestSidecar open;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("policy-failure-it");
        Path policy = TestPolicies.copyResource("failures", dir.resolve("failures"));
        upstream = StubUpstream.start();
        closed = TestSidecar.start(upstream, Map.of("policy.dir", policy.toString(), "policy.pool-size", "2",
                                                    "policy.evaluation-timeout", "200ms",
                                                    "policy.decision-log", "off"));
        open = TestSidecar.start(upstream, Map.of("policy.dir", policy.toString(), "policy.pool-size", "1",
                                                  "policy.failure-mode", "fail-open", "policy.decision-log", "off"));
    }

    @AfterAll
    static void stop() {
        closed.close();
        open.close();
        upstream.close();
    }

    @Test
    void failsClosedWhenThePolicyCallsAMissingBuiltin() throws Exception {
        int before = upstream.requestCount();
        HttpResponse<String> response = closed.chat(body("missing-builtin"));

        assertEquals(503, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("policy_error", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("the policy called semver.compare, a builtin that the sidecar's Wasm runtime does not provide"),
                   error.toString());
        assertEquals(before, upstream.requestCount());
        assertTrue(closed.metrics().contains("llm_sidecar_policy_errors_total{mode=\"fail_closed\",}"));
    }

    @Test
    void failsClosedOnAPatchOutsideTheContract() throws Exception {
        HttpResponse<String> response = closed.chat(body("bad-patch"));
        assertEquals(503, response.statusCode());
        assertTrue(response.body().contains("patch.temperature cannot be patched"), response.body());
    }

    @Test
    void interruptsAnEvaluationThatRunsPastTheTimeout() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = closed.chat(body("slow"));
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertEquals(503, response.statusCode(), response.body());
        assertTrue(response.body().contains("longer than 200 ms"), response.body());
        assertTrue(millis < 3000, "answered after " + millis + " ms");
        assertEquals(200, closed.chat(body("gpt-4o-mini")).statusCode(), "the other instance keeps serving");
    }

    @Test
    void failsOpenWhenConfiguredAndCountsIt() {
        int before = upstream.requestCount();
        HttpResponse<String> response = open.chat(body("missing-builtin"));

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(before + 1, upstream.requestCount());
        assertTrue(open.metrics().contains("llm_sidecar_policy_errors_total{mode=\"fail_open\",} 1.0"),
                   open.metrics());
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }
}
