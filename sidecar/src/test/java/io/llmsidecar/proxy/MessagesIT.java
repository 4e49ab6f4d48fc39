package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Anthropic's Messages API through a whole sidecar to a stub gateway that speaks it: forwarded where and how the
 * gateway expects (its endpoint, the sidecar's key, the app's keys removed, {@code ?beta=true} kept), settled
 * exactly from the gateway's usage including prompt-cache reads and writes, token counting checked but free, and
 * every refusal in Anthropic's error shape, never forwarded.
 */
class MessagesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = "admin-secret-for-tests";
    private static final String BUDGET = """
            budgets:
              - name: team-daily
                scope: [team]
                window: day
                tokens: %d
            """;
    private static final String HELLO = """
            {"model":"claude-sonnet-4-5","max_tokens":256,%s
             "messages":[{"role":"user","content":"Hello"}]}""";

    private StubUpstream upstream;
    private TestSidecar sidecar;

    @BeforeEach
    void start() {
        upstream = StubUpstream.start();
    }

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        upstream.close();
    }

    private void sidecar(long tokens, Map<String, String> more) {
        var overrides = new java.util.HashMap<>(Map.of("identity.team", "payments", "admin.token", ADMIN_TOKEN));
        overrides.putAll(more);
        sidecar = TestSidecar.start(upstream, BUDGET.formatted(tokens), overrides);
    }

    private HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.url(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return sidecar.send(b.build());
    }

    private JsonNode settled(long expectedUsed) throws InterruptedException {
        return settledWhere(used -> used == expectedUsed, "at " + expectedUsed);
    }

    private JsonNode settledAtLeast(long min) throws InterruptedException {
        return settledWhere(used -> used >= min, "at " + min + " or more");
    }

    /** The team's counter once nothing is reserved and its usage is as expected. */
    private JsonNode settledWhere(java.util.function.LongPredicate used, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode row = null;
        while (System.nanoTime() < deadline) {
            row = teamRow();
            if (row != null && row.get("reserved_tokens").asLong() == 0 && used.test(row.get("used_tokens").asLong())) {
                return row;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the counter never settled " + what + ": " + row);
    }

    private JsonNode teamRow() {
        String body = sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets"))
                                           .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build()).body();
        JsonNode row = null;
        for (JsonNode r : read(body).path("budgets")) {
            if (r.get("key").asText().equals("team=payments")) {
                row = r;
            }
        }
        return row;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aJsonAnswerIsRelayedAsIsAndBilledWithItsCacheTokens() throws Exception {
        upstream.servesMessages("messages-cache");
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages", HELLO.formatted(""),
                                        "x-api-key", "sk-ant-app-own-key", "Authorization", "Bearer app-token");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(StubUpstream.cassette("messages-cache.json"), res.body(), "relayed byte for byte");
        StubUpstream.Recorded forwarded = upstream.requests("/v1/messages").getFirst();
        assertEquals("Bearer " + TestSidecar.KEY, forwarded.header("Authorization"), "the sidecar's key");
        assertNull(forwarded.header("x-api-key"), "the app's x-api-key never reaches the gateway");
        assertEquals("2023-06-01", forwarded.header("anthropic-version"));
        // 21 + 188 written + 1650 read + 64 out
        settled(21 + 188 + 1650 + 64);
        String metrics = sidecar.metricsContaining("type=\"cache_write\"");
        assertTrue(metrics.contains("type=\"cache_write\""), metrics);
    }

    @Test
    void aStreamIsRelayedAndBilledFromMessageStartAndMessageDelta() throws Exception {
        upstream.servesMessages("messages-tool-use");
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages?beta=true", HELLO.formatted("\"stream\":true,"));
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(StubUpstream.cassette("messages-tool-use.sse"), res.body());
        assertEquals("beta=true", upstream.requests("/v1/messages").getFirst().query(), "the beta query is kept");
        settled(384 + 76);
    }

    @Test
    void xApiKeyModeSendsTheSidecarsKeyAsXApiKey() throws Exception {
        upstream.servesMessages("messages-text");
        sidecar(1_000_000, Map.of("upstream.anthropic-auth", "x-api-key"));
        assertEquals(200, post("/v1/messages", HELLO.formatted(""), "x-api-key", "sk-ant-app").statusCode());
        StubUpstream.Recorded forwarded = upstream.requests("/v1/messages").getFirst();
        assertEquals(TestSidecar.KEY, forwarded.header("x-api-key"));
        assertNull(forwarded.header("Authorization"));
    }

    @Test
    void countingTokensIsCheckedForwardedAndFree() throws Exception {
        upstream.servesMessages("messages-text");
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages/count_tokens",
                                        "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\","
                                        + "\"content\":\"Hello\"}]}");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(1, upstream.requests("/v1/messages/count_tokens").size());
        // A later call is billed; the count was not.
        assertEquals(200, post("/v1/messages", HELLO.formatted("")).statusCode());
        settled(12 + 10);
        HttpResponse<String> secret = post("/v1/messages/count_tokens",
                "{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"key "
                + "AKIAIOSFODNN7EXAMPLE\"}]}");
        assertEquals(403, secret.statusCode(), secret.body());
        assertEquals(1, upstream.requests("/v1/messages/count_tokens").size(), "the refused count was not sent");
    }

    @Test
    void refusalsAreInAnthropicsShapeAndNeverForwarded() throws Exception {
        upstream.servesMessages("messages-text");
        sidecar(1_000_000, Map.of());
        HttpResponse<String> secret = post("/v1/messages", """
                {"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":[
                  {"type":"tool_result","tool_use_id":"t","content":"aws_access_key_id=AKIAIOSFODNN7EXAMPLE"}]}]}""");
        assertEquals(403, secret.statusCode());
        JsonNode body = read(secret.body());
        assertEquals("error", body.get("type").asText());
        assertEquals("permission_error", body.get("error").get("type").asText());
        assertEquals("policy_denied", body.get("error").get("code").asText());
        assertEquals(secret.headers().firstValue("x-request-id").orElseThrow(),
                     secret.headers().firstValue("request-id").orElseThrow());
        assertEquals("false", secret.headers().firstValue("x-should-retry").orElseThrow());

        HttpResponse<String> invalid = post("/v1/messages", "{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}");
        assertEquals(400, invalid.statusCode());
        assertEquals("invalid_request_error", read(invalid.body()).get("error").get("type").asText());

        HttpResponse<String> duplicate = post("/v1/messages", "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":60000}");
        assertEquals(400, duplicate.statusCode());

        HttpResponse<String> query = post("/v1/messages?beta=true&model=claude-opus", HELLO.formatted(""));
        assertEquals(400, query.statusCode());
        assertEquals("unsupported_query", read(query.body()).get("error").get("code").asText());

        HttpResponse<String> unknown = post("/v1/messages/batches", HELLO.formatted(""));
        assertEquals(404, unknown.statusCode());
        assertEquals("not_found_error", read(unknown.body()).get("error").get("type").asText());

        HttpResponse<String> method = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/messages")).GET().build());
        assertEquals(405, method.statusCode());
        assertEquals("error", read(method.body()).get("type").asText());

        assertTrue(upstream.requests().isEmpty(), "nothing refused was forwarded: " + upstream.requests());
    }

    @Test
    void anExhaustedBudgetIsARateLimitErrorTheSdksDoNotRetry() throws Exception {
        upstream.servesMessages("messages-text");
        sidecar(100, Map.of());
        HttpResponse<String> res = post("/v1/messages", HELLO.formatted(""));
        assertEquals(429, res.statusCode(), res.body());
        JsonNode body = read(res.body());
        assertEquals("rate_limit_error", body.get("error").get("type").asText());
        assertEquals("budget_exceeded", body.get("error").get("code").asText());
        assertEquals("false", res.headers().firstValue("x-should-retry").orElseThrow());
        assertFalse(res.headers().firstValue("retry-after").isEmpty());
        assertTrue(upstream.requests().isEmpty());
    }

    @Test
    void aStreamPastItsLimitIsCutOffAsAnthropicEndsOneAndBilledForWhatWasSent() throws Exception {
        // The gateway ignores max_tokens 2 and streams 76 tokens of tool use: the sidecar ends it at its limit.
        upstream.servesMessages("messages-tool-use");
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages",
                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":2,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}]}");
        assertEquals(200, res.statusCode());
        assertTrue(res.body().contains("\"stop_reason\":\"max_tokens\""), res.body());
        assertTrue(res.body().endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), res.body());
        JsonNode row = settled(expectedCut(res.body()));
        assertTrue(row.get("used_tokens").asLong() >= 384, "the input the gateway reported is billed: " + row);
    }

    @Test
    void theGatewaysOwnErrorsPassThroughByteForByte() throws Exception {
        String overloaded = StubUpstream.cassette("messages-error-overloaded.json");
        upstream.on("/v1/messages", StubUpstream.json(529, overloaded));
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages", HELLO.formatted(""));
        assertEquals(529, res.statusCode());
        assertEquals(overloaded, res.body(), "Claude Code's retries match on the gateway's own wording");
        settledNothing();
    }

    @Test
    void aStreamTheGatewayBreaksOffEndsWithAnErrorEventAndIsBilledItsReportedInputAndItsText() throws Exception {
        java.util.List<String> events = StubUpstream.events(StubUpstream.cassette("messages-cache.sse"));
        upstream.on("/v1/messages", StubUpstream.sse(events.subList(0, 5), Duration.ZERO));
        sidecar(1_000_000, Map.of());
        HttpResponse<String> res = post("/v1/messages", HELLO.formatted("\"stream\":true,"));
        assertEquals(200, res.statusCode());
        assertTrue(res.body().startsWith(String.join("", events.subList(0, 5))), res.body());
        String tail = res.body().substring(String.join("", events.subList(0, 5)).length());
        assertTrue(tail.startsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""),
                   tail);
        assertTrue(tail.contains("\"code\":\"upstream_interrupted\""), tail);
        // The input exactly as message_start reported it (21 + 188 + 1650), the streamed text as counted.
        JsonNode row = settledAtLeast(21 + 188 + 1650 + 1);
        assertTrue(row.get("used_tokens").asLong() < 21 + 188 + 1650 + 64, row.toString());
    }

    private void settledNothing() throws InterruptedException {
        JsonNode row = settled(0);
        assertEquals(0, row.get("used_usd").decimalValue().signum(), row.toString());
    }

    /** The usage the sidecar wrote into its ending: input from message_start plus its count of the output. */
    private static long expectedCut(String sse) {
        for (String event : StubUpstream.events(sse)) {
            if (event.startsWith("event: message_delta")) {
                JsonNode usage = read(event.substring(event.indexOf("data: ") + 6).strip()).get("usage");
                return usage.get("input_tokens").asLong() + usage.get("cache_creation_input_tokens").asLong()
                       + usage.get("cache_read_input_tokens").asLong() + usage.get("output_tokens").asLong();
            }
        }
        throw new AssertionError("no message_delta in " + sse);
    }
}
