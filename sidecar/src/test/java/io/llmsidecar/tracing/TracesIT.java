package io.llmsidecar.tracing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Jaeger;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spans exported to a real Jaeger over OTLP/HTTP and read back through its query API: the app's span is the parent of
 * the sidecar's server span, which is the parent of the upstream call whose context the gateway received; GenAI and
 * {@code llm_sidecar.*} attributes for JSON and streamed calls of both API families, refusals with their error kind,
 * and no prompt text anywhere in what was exported.
 */
class TracesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-01");
    /** In every prompt sent: must never appear in an exported attribute or event. */
    private static final String PROMPT_MARKER = "zebra-quartz-" + UUID.randomUUID();
    private static final String SERVICE = "llm-sidecar-it-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static Jaeger jaeger;
    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static final List<String> traces = new ArrayList<>();

    @BeforeAll
    static void start() {
        jaeger = Jaeger.start();
        upstream = StubUpstream.start();
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            String body = request.bodyText();
            if (body.contains("\"stream\":true")) {
                StubUpstream.sse(StubUpstream.events(cassette("chat-completion.sse")), Duration.ofMillis(5))
                        .respond(exchange, request);
            } else {
                StubUpstream.json(200, cassette("chat-completion.json")).respond(exchange, request);
            }
        });
        upstream.servesMessages("messages-text");
        sidecar = TestSidecar.start(upstream, tracing(Map.of("identity.team", "payments",
                                                             "identity.trust-team-header", "false")));
        assertTrue(sidecar.sidecar().tracing().exporting());
    }

    static Map<String, String> tracing(Map<String, String> more) {
        Map<String, String> config = new HashMap<>(more);
        config.put("tracing.otlp.endpoint", jaeger.otlpEndpoint());
        config.put("tracing.service-name", SERVICE);
        config.put("tracing.batch.schedule-delay", "50");
        return config;
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (sidecar != null) {
                sidecar.close();
            }
            if (upstream != null) {
                upstream.close();
            }
            assertNoPromptText();
        } finally {
            if (jaeger != null) {
                jaeger.close();
            }
        }
    }

    /** A fresh app trace: its traceparent, as an instrumented app would send it. */
    private static String[] appSpan() {
        String trace = hex(16);
        String span = hex(8);
        traces.add(trace);
        return new String[] {trace, span, "00-" + trace + "-" + span + "-01"};
    }

    private static String hex(int bytes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < bytes; i++) {
            b.append(String.format("%02x", ThreadLocalRandom.current().nextInt(1, 256)));
        }
        return b.toString();
    }

    private static HttpResponse<String> post(String path, String body, String traceparent) {
        return sidecar.send(HttpRequest.newBuilder(sidecar.url(path))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .header("anthropic-version", "2023-06-01")
                                    .header("traceparent", traceparent)
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    // --- reading Jaeger's JSON -------------------------------------------------------------------------------------

    private static List<JsonNode> spans(JsonNode trace, String operation) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode span : trace.path("spans")) {
            if (span.path("operationName").asText().equals(operation)) {
                found.add(span);
            }
        }
        return found;
    }

    private static JsonNode only(JsonNode trace, String operation) {
        List<JsonNode> found = spans(trace, operation);
        assertEquals(1, found.size(), "one span " + operation + " in " + names(trace));
        return found.getFirst();
    }

    private static List<String> names(JsonNode trace) {
        List<String> names = new ArrayList<>();
        trace.path("spans").forEach(s -> names.add(s.path("operationName").asText()));
        return names;
    }

    private static Optional<JsonNode> tag(JsonNode span, String key) {
        for (JsonNode tag : span.path("tags")) {
            if (tag.path("key").asText().equals(key)) {
                return Optional.of(tag.path("value"));
            }
        }
        return Optional.empty();
    }

    private static String text(JsonNode span, String key) {
        return tag(span, key).map(JsonNode::asText)
                .orElseThrow(() -> new AssertionError("no " + key + " on " + span.path("operationName") + ": "
                                                      + span.path("tags")));
    }

    private static String parentOf(JsonNode span) {
        for (JsonNode ref : span.path("references")) {
            if (ref.path("refType").asText().equals("CHILD_OF")) {
                return ref.path("spanID").asText();
            }
        }
        return "";
    }

    private static JsonNode await(String traceId, int spans) {
        return jaeger.awaitTrace(traceId, t -> t.path("spans").size() >= spans, WAIT);
    }

    /** The traceparent the gateway got for the request it received last: the upstream span as parent. */
    private static Matcher gatewayTraceparent() throws InterruptedException {
        String header = upstream.awaitRequest(Duration.ofSeconds(5)).header("traceparent");
        Matcher m = TRACEPARENT.matcher(String.valueOf(header));
        assertTrue(m.matches(), header);
        return m;
    }

    // --- the tests -------------------------------------------------------------------------------------------------

    @Test
    void theAppsSpanParentsTheServerSpanWhichParentsTheCallTheGatewayReceived() throws Exception {
        String[] app = appSpan();
        HttpResponse<String> res = post("/v1/chat/completions", """
                {"model":"gpt-4o-mini","max_tokens":300,"messages":[{"role":"user","content":"%s plan meals"}]}"""
                .formatted(PROMPT_MARKER), app[2]);
        assertEquals(200, res.statusCode(), res.body());
        Matcher gateway = gatewayTraceparent();
        assertEquals(app[0], gateway.group(1), "the gateway is in the app's trace");

        // server, policy, reserve, settle, upstream
        JsonNode trace = await(app[0], 5);
        JsonNode server = only(trace, "chat gpt-4o-mini");
        assertEquals("server", text(server, "span.kind"));
        assertEquals(app[1], parentOf(server), "the sidecar's span is the app span's child");
        JsonNode call = only(trace, "POST");
        assertEquals("client", text(call, "span.kind"));
        assertEquals(server.path("spanID").asText(), parentOf(call));
        assertEquals(call.path("spanID").asText(), gateway.group(2), "the gateway's parent is the upstream call");
        for (String stage : List.of("llm_sidecar.policy", "llm_sidecar.budget.reserve", "llm_sidecar.budget.settle")) {
            assertEquals(server.path("spanID").asText(), parentOf(only(trace, stage)), stage);
        }
        assertEquals(200, tag(call, "http.response.status_code").orElseThrow().asInt());
        assertTrue(text(call, "url.full").endsWith("/v1/chat/completions"));

        assertEquals("chat", text(server, "gen_ai.operation.name"));
        assertEquals("gpt-4o-mini", text(server, "gen_ai.request.model"));
        assertEquals("gpt-4o-mini", text(server, "gen_ai.response.model"));
        assertEquals(300, tag(server, "gen_ai.request.max_tokens").orElseThrow().asInt());
        assertEquals(15, tag(server, "gen_ai.usage.input_tokens").orElseThrow().asInt());
        assertEquals(245, tag(server, "gen_ai.usage.output_tokens").orElseThrow().asInt());
        assertTrue(text(server, "gen_ai.response.finish_reasons").contains("stop"));
        assertEquals("payments", text(server, "llm_sidecar.team"));
        assertEquals("allow", text(server, "llm_sidecar.policy.decision"));
        assertFalse(text(server, "llm_sidecar.policy.revision").isEmpty());
        assertEquals("settled", text(server, "llm_sidecar.budget.outcome"));
        assertEquals("gateway", text(server, "llm_sidecar.usage.source"));
        assertEquals("allowed", text(server, "llm_sidecar.outcome"));
        assertEquals(res.headers().firstValue("x-request-id").orElseThrow(), text(server, "llm_sidecar.request_id"));
        // 15 × $0.15/M + 245 × $0.60/M
        assertEquals(0.00014925, tag(server, "llm_sidecar.cost_usd").orElseThrow().asDouble(), 1e-9);
        assertFalse(tag(server, "error").isPresent(), "an allowed call is no error");
        JsonNode process = trace.path("processes").path(server.path("processID").asText());
        assertEquals(SERVICE, process.path("serviceName").asText());
        // The trace as OTLP JSON (Jaeger's v3 API), kept for docs/METRICS.md's example.
        HttpResponse<String> otlp = jaeger.get("/api/v3/traces/" + app[0]);
        assertEquals(200, otlp.statusCode(), otlp.body());
        java.nio.file.Files.writeString(
                io.llmsidecar.testing.Project.root().resolve("sidecar/target/traces-it-chat.json"), otlp.body());
    }

    @Test
    void aStreamedChatRecordsItsFirstTokenAsAnEvent() throws Exception {
        String[] app = appSpan();
        HttpResponse<String> res = post("/v1/chat/completions", """
                {"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"%s stream"}]}"""
                .formatted(PROMPT_MARKER), app[2]);
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(app[0], gatewayTraceparent().group(1));
        JsonNode server = only(await(app[0], 5), "chat gpt-4o-mini");
        assertEquals("true", text(server, "llm_sidecar.stream"));
        assertEquals("gpt-4o-mini", text(server, "gen_ai.response.model"));
        assertTrue(tag(server, "gen_ai.usage.output_tokens").orElseThrow().asInt() > 0);
        JsonNode event = firstTokenEvent(server);
        long startMicros = server.path("startTime").asLong();
        long eventMicros = event.path("timestamp").asLong();
        assertTrue(eventMicros >= startMicros && eventMicros <= startMicros + server.path("duration").asLong(),
                   "the event lies within the span");
        double ttft = 0;
        for (JsonNode field : event.path("fields")) {
            if (field.path("key").asText().equals("gen_ai.server.time_to_first_token")) {
                ttft = field.path("value").asDouble();
            }
        }
        assertTrue(ttft > 0 && ttft < 10, "time to first token in seconds: " + event);
    }

    private static JsonNode firstTokenEvent(JsonNode span) {
        for (JsonNode log : span.path("logs")) {
            for (JsonNode field : log.path("fields")) {
                if (field.path("key").asText().equals("event")
                    && field.path("value").asText().equals("llm_sidecar.first_token")) {
                    return log;
                }
            }
        }
        throw new AssertionError("no first-token event on " + span);
    }

    @Test
    void theMessagesApiIsAChatSpanInBothShapes() throws Exception {
        for (boolean stream : new boolean[] {false, true}) {
            String[] app = appSpan();
            HttpResponse<String> res = post("/v1/messages", """
                    {"model":"claude-sonnet-4-5","max_tokens":64,"stream":%s,
                     "messages":[{"role":"user","content":"%s hello"}]}""".formatted(stream, PROMPT_MARKER), app[2]);
            assertEquals(200, res.statusCode(), res.body());
            Matcher gateway = gatewayTraceparent();
            JsonNode trace = await(app[0], 5);
            JsonNode server = only(trace, "chat claude-sonnet-4-5");
            assertEquals(only(trace, "POST").path("spanID").asText(), gateway.group(2));
            assertEquals("chat", text(server, "gen_ai.operation.name"));
            assertEquals("claude-sonnet-4-5-20250929", text(server, "gen_ai.response.model"));
            assertEquals(64, tag(server, "gen_ai.request.max_tokens").orElseThrow().asInt());
            assertEquals(12, tag(server, "gen_ai.usage.input_tokens").orElseThrow().asInt());
            assertEquals(10, tag(server, "gen_ai.usage.output_tokens").orElseThrow().asInt());
            assertEquals(0, tag(server, "gen_ai.usage.cache_read.input_tokens").orElseThrow().asInt());
            assertEquals(String.valueOf(stream), text(server, "llm_sidecar.stream"));
            if (stream) {
                firstTokenEvent(server);
            }
            // A stream's from its message_delta, an answer's from its stop_reason.
            assertTrue(text(server, "gen_ai.response.finish_reasons").contains("end_turn"));
        }
    }

    @Test
    void aPolicyDenialIsAnErrorSpanWithTheKindTheReasonAndTheFindingKindsButNoText() throws Exception {
        String[] app = appSpan();
        int before = upstream.requestCount();
        HttpResponse<String> res = post("/v1/chat/completions", """
                {"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s my key AKIAIOSFODNN7EXAMPLE"}]}"""
                .formatted(PROMPT_MARKER), app[2]);
        assertEquals(403, res.statusCode(), res.body());
        assertEquals(before, upstream.requestCount(), "nothing forwarded");
        JsonNode trace = await(app[0], 2);
        JsonNode server = only(trace, "chat gpt-4o-mini");
        assertEquals(app[1], parentOf(server));
        assertEquals("true", text(server, "error"));
        assertEquals("ERROR", text(server, "otel.status_code"));
        assertEquals("policy_denied", text(server, "error.type"));
        assertEquals("deny", text(server, "llm_sidecar.policy.decision"));
        assertEquals("denied_policy", text(server, "llm_sidecar.outcome"));
        assertEquals(403, tag(server, "http.response.status_code").orElseThrow().asInt());
        assertTrue(text(server, "llm_sidecar.findings").contains("aws_access_key"), server.toString());
        assertFalse(text(server, "llm_sidecar.policy.deny_reasons").isEmpty());
        assertTrue(spans(trace, "POST").isEmpty(), "no upstream call");
        assertTrue(spans(trace, "llm_sidecar.budget.reserve").isEmpty(), "budgets never reached");
        assertFalse(trace.toString().contains("AKIAIOSFODNN7EXAMPLE"), "the secret is in no span");
    }

    @Test
    void aBudgetRefusalIsAnErrorSpanWithItsKindAndTheReserveSpanFailed() throws Exception {
        try (TestSidecar budgeted = TestSidecar.start(upstream, """
                budgets:
                  - {name: team-daily, scope: [team], window: day, tokens: 10}
                """, tracing(Map.of("identity.team", "tight", "identity.trust-team-header", "false")))) {
            String[] app = appSpan();
            int before = upstream.requestCount();
            HttpResponse<String> res = budgeted.send(HttpRequest.newBuilder(budgeted.url("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", app[2])
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"model":"gpt-4o-mini","max_tokens":40,"messages":[{"role":"user","content":"%s"}]}"""
                                                                  .formatted(PROMPT_MARKER))).build());
            assertEquals(429, res.statusCode(), res.body());
            assertEquals(before, upstream.requestCount(), "nothing forwarded");
            JsonNode trace = await(app[0], 3);
            JsonNode server = only(trace, "chat gpt-4o-mini");
            assertEquals("budget_exceeded", text(server, "error.type"));
            assertEquals("ERROR", text(server, "otel.status_code"));
            assertEquals("exceeded", text(server, "llm_sidecar.budget.outcome"));
            assertEquals("denied_budget", text(server, "llm_sidecar.outcome"));
            assertEquals("tight", text(server, "llm_sidecar.team"));
            JsonNode reserve = only(trace, "llm_sidecar.budget.reserve");
            assertEquals("budget_exceeded", text(reserve, "error.type"));
            assertTrue(spans(trace, "POST").isEmpty());
        }
    }

    /** Every trace this class made, read back whole: the prompts' marker is in none of them. */
    private static void assertNoPromptText() throws Exception {
        assertTrue(traces.size() >= 5, "the tests made their traces");
        for (String trace : traces) {
            HttpResponse<String> res = jaeger.get("/api/traces/" + trace);
            assertEquals(200, res.statusCode(), trace);
            assertTrue(res.body().contains("\"spans\""), res.body());
            assertFalse(res.body().contains(PROMPT_MARKER), "prompt text exported in trace " + trace);
        }
        HttpResponse<String> all = jaeger.get("/api/traces?service=" + SERVICE + "&limit=1000&lookback=1h");
        assertEquals(200, all.statusCode());
        assertTrue(all.body().contains("chat gpt-4o-mini"), "the search finds the service's traces");
        assertFalse(all.body().contains(PROMPT_MARKER));
    }
}
