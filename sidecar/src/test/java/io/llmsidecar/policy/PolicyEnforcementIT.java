package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sidecar enforcing a custom copy of the default policy set (a team allow-list and a lower cost ceiling in its
 * data.json), with a shadow policy that would deny everything, in front of a stub gateway.
 */
class PolicyEnforcementIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATA = """
            {"config": {
              "model_allowlist": {"default": ["*"], "teams": {"payments": ["gpt-4o-mini", "gpt-4.1", "anthropic/*"]}},
              "max_tokens": {"default": 16384, "models": {"anthropic/claude-opus": 8192}},
              "temperature": {"min": 0, "max": 1.5},
              "cost": {"max_request_usd": 0.5}
            }}
            """;
    private static Path dir;
    private static Path decisionLog;
    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        logs = LogCapture.start();
        dir = Files.createTempDirectory("policy-enforcement-it");
        Path policy = TestPolicies.copyDefaults(dir.resolve("policy"));
        Files.writeString(policy.resolve("data.json"), DATA);
        Path shadow = TestPolicies.copyResource("deny-all", dir.resolve("shadow"));
        decisionLog = dir.resolve("decisions.jsonl");
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of("policy.dir", policy.toString(),
                                                     "policy.shadow-dir", shadow.toString(),
                                                     "policy.decision-log", decisionLog.toString(),
                                                     "policy.pool-size", "2"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
        logs.close();
    }

    @Test
    void forwardsAnAllowedRequestUnchanged() throws Exception {
        String body = body("gpt-4o-mini", "Plan meals for the week.", 256, 0.7);
        int before = upstream.requestCount();
        HttpResponse<String> response = sidecar.chat(body, "x-llm-team", "payments");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(before + 1, upstream.requestCount());
        assertEquals(body, upstream.requests().getLast().bodyText());
        assertTrue(response.headers().firstValue("x-llm-sidecar-patched").isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "model_not_allowed|gpt-4o|Plan meals.|256|0.7|Model \"gpt-4o\" is not allowed for team \"payments\"; allowed: gpt-4o-mini, gpt-4.1, anthropic/*.",
            "secret_in_prompt|gpt-4o-mini|deploy with AKIAIOSFODNN7EXAMPLE|256|0.7|The prompt contains what looks like a secret (AWS access key id in messages[0].content); remove it before sending.",
            "temperature_out_of_range|gpt-4o-mini|Plan meals.|256|1.8|temperature 1.8 is outside the allowed range 0 to 1.5.",
            "request_cost_too_high|anthropic/claude-opus|Plan meals.|8000|0.7|This request could cost up to 0.6001 USD, above the per-request limit of 0.50 USD; lower max_tokens or shorten the prompt.",
            "model_not_priced|anthropic/claude-9|Plan meals.|256|0.7|Model \"anthropic/claude-9\" has no known price, so its cost cannot be budgeted; use a priced model or add its price to pricing.models.",
    })
    void deniesWith403InTheOpenAiShapeAndForwardsNothing(String code, String model, String prompt, int maxTokens,
                                                         double temperature, String message) throws Exception {
        int before = upstream.requestCount();
        HttpResponse<String> response = sidecar.chat(body(model, prompt, maxTokens, temperature),
                                                     "x-llm-team", "payments");

        assertEquals(403, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("policy_denied", error.get("code").asText());
        assertEquals("permission_error", error.get("type").asText());
        assertEquals(message, error.get("message").asText());
        assertEquals(List.of(code), List.of(error.get("reasons").get(0).asText()));
        assertEquals(1, error.get("reasons").size());
        assertEquals(before, upstream.requestCount(), "nothing may reach the gateway");
    }

    @Test
    void forwardsThePatchedRequestAndSaysWhatChanged() throws Exception {
        HttpResponse<String> response = sidecar.chat(body("gpt-4o-mini", "Write a long story.", 50_000, 0.7),
                                                     "x-llm-team", "payments");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("max_tokens", response.headers().firstValue("x-llm-sidecar-patched").orElseThrow());
        JsonNode forwarded = JSON.readTree(upstream.requests().getLast().body());
        assertEquals(16_384, forwarded.get("max_tokens").intValue());
        assertEquals("Write a long story.", forwarded.at("/messages/0/content").asText());
    }

    @Test
    void logsTheShadowDecisionWithoutEnforcingIt() throws Exception {
        HttpResponse<String> response = sidecar.chat(body("gpt-4o-mini", "Shadow check.", 256, 0.7),
                                                     "x-llm-team", "payments");
        assertEquals(200, response.statusCode(), "the shadow policy denies everything but is never enforced");

        String requestId = response.headers().firstValue("x-request-id").orElseThrow();
        JsonNode line = awaitDecisionLine(requestId);
        assertEquals("allow", line.at("/custom/outcome").asText());
        assertEquals(false, line.at("/custom/shadow/result/allow").booleanValue(), line.toString());
        assertEquals("shadow_says_no", line.at("/custom/shadow/result/reasons/0/code").asText());
        assertTrue(sidecar.metrics().contains(
                "llm_sidecar_policy_shadow_denials_total{reason=\"shadow_says_no\",policy=\"shadow_test\",}"));
    }

    @Test
    void countsDenialsByReasonAndPolicyAndNeverLogsPrompts() throws Exception {
        HttpResponse<String> response = sidecar.chat(body("gpt-4o-mini", "my key AKIAIOSFODNN7EXAMPLE", 256, 0.7),
                                                     "x-llm-team", "payments");
        assertEquals(403, response.statusCode());
        String metrics = sidecar.metrics();
        assertTrue(metrics.contains("llm_sidecar_policy_denials_total{reason=\"secret_in_prompt\",policy=\"secrets\",}"),
                   metrics);
        assertTrue(metrics.contains("llm_sidecar_policy_evaluation_seconds_count"), metrics);
        assertTrue(metrics.contains("llm_sidecar_policy_info{revision="), metrics);

        JsonNode line = awaitDecisionLine(response.headers().firstValue("x-request-id").orElseThrow());
        assertEquals("deny", line.at("/custom/outcome").asText());
        assertEquals(64, line.at("/custom/prompt/sha256").asText().length());
        assertFalse(Files.readString(decisionLog).contains("AKIAIOSFODNN7EXAMPLE"));
        assertFalse(logs.all().contains("AKIAIOSFODNN7EXAMPLE"));
        assertFalse(logs.all().contains(TestSidecar.KEY));
    }

    @Test
    void reportsBothPoliciesOnTheAdminApiAndInReadiness() throws Exception {
        JsonNode status = JSON.readTree(sidecar.send(sidecar.adminRequest("/admin/policy")
                                                             .GET().build()).body());
        assertTrue(status.at("/enforced/source").asText().startsWith("dir:"), status.toString());
        assertTrue(status.at("/enforced/revision").asText().matches("[0-9a-f]{12}"), status.toString());
        assertTrue(status.at("/enforced/last_error").isNull(), status.toString());
        assertTrue(status.at("/shadow/source").asText().endsWith("shadow"), status.toString());
        assertEquals("fail_closed", status.get("failure_mode").asText());

        HttpResponse<String> ready = sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/health/ready"))
                                                          .GET().build());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"policy\""), ready.body());
    }

    private static JsonNode awaitDecisionLine(String requestId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(decisionLog)) {
                for (String line : Files.readAllLines(decisionLog)) {
                    JsonNode json = JSON.readTree(line);
                    if (json.at("/path").asText().equals("sidecar/decision")
                        && json.at("/custom/request_id").asText().equals(requestId)) {
                        return json;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no decision log line for request " + requestId);
    }

    static String body(String model, String prompt, int maxTokens, double temperature) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"temperature\":" + temperature
               + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }
}
