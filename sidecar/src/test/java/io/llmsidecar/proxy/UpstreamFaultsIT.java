package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static io.llmsidecar.testing.StubUpstream.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstream faults as the app sees them (exact status and body, always the OpenAI error shape), as the budget settles
 * them (what was served is billed; nothing is left reserved, nothing served is released as zero) and as metrics and
 * the access log record them (a stable outcome code). Each test bills its own team, so budget rows and token series
 * are its own.
 */
class UpstreamFaultsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                                       + "\"Write a Python function to calculate Fibonacci numbers\"}]}";
    private static final String STREAM_BODY = BODY.replace("{\"model\"", "{\"stream\":true,\"model\"");
    private static final String BUDGETS = """
            budgets:
              - name: team-daily
                scope: [team]
                window: day
                tokens: 10000000
                usd: 100
            """;
    private static final String HTML_502 = """
            <html>
            <head><title>502 Bad Gateway</title></head>
            <body>
            <center><h1>502 Bad Gateway</h1></center>
            <hr><center>nginx/1.25.3 lb-internal-7.corp.example</center>
            </body>
            </html>
            """;

    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static LogCapture logs;

    @BeforeAll
    static void start() {
        logs = LogCapture.start();
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, BUDGETS, Map.of("server.access-log", "true",
                                                                 "upstream.read-timeout", "2s"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
        logs.close();
    }

    @Test
    void anHtmlErrorPageIsWrappedInTheOpenAiShapeKeepingItsStatus() {
        upstream.otherwise(StubUpstream.body(502, "text/html", HTML_502));
        double before = requests("upstream_error", 502);

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "html502");

        assertEquals(502, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        assertEquals("{\"error\":{\"message\":\"The AI gateway (or a proxy in front of it) answered HTTP 502 with a "
                     + "non-JSON body (Content-Type text/html, " + HTML_502.length() + " bytes), which the sidecar "
                     + "does not relay. Check the gateway's health and upstream.url.\",\"type\":\"server_error\","
                     + "\"param\":null,\"code\":\"upstream_error\"}}", response.body());
        assertFalse(response.body().contains("nginx"), "the page is not echoed");
        JsonNode row = settled("html502");
        assertEquals(0, row.get("used_tokens").asLong(), "an error answer is not billed");
        assertEquals(before + 1, requests("upstream_error", 502));
        assertTrue(accessLine(response).contains(" status=502 outcome=upstream_error api=chat.completions "
                                                 + "code=upstream_error "), accessLine(response));
    }

    @Test
    void aPlainTextUnavailableKeepsItsStatusAndRetryAfter() {
        upstream.otherwise((exchange, request) -> {
            exchange.getResponseHeaders().set("Retry-After", "30");
            StubUpstream.body(503, "text/plain", "upstream connect error or disconnect/reset before headers")
                    .respond(exchange, request);
        });

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "text503");

        assertEquals(503, response.statusCode());
        assertEquals("30", response.headers().firstValue("retry-after").orElseThrow());
        assertEquals("{\"error\":{\"message\":\"The AI gateway (or a proxy in front of it) answered HTTP 503 with a "
                     + "non-JSON body (Content-Type text/plain, 57 bytes), which the sidecar does not relay. Check "
                     + "the gateway's health and upstream.url.\",\"type\":\"server_error\",\"param\":null,"
                     + "\"code\":\"upstream_error\"}}", response.body());
        assertEquals(0, settled("text503").get("used_tokens").asLong());
        sidecar.metricsContaining("outcome=\"upstream_error\",status=\"503\"");
    }

    @Test
    void aStreamRequestAnsweredWithAJsonCompletionIsRelayedAsIsAndBilledItsUsage() {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        double before = requests("allowed", 200);

        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "ignores-stream");

        assertEquals(200, response.statusCode());
        assertEquals(cassette("chat-completion.json"), response.body());
        JsonNode row = settled("ignores-stream");
        assertEquals(15 + 245, row.get("used_tokens").asLong());
        assertEquals("0.00014925", row.get("used_usd").decimalValue().toPlainString(), "15 x 0.15 + 245 x 0.60");
        assertEquals(before + 1, requests("allowed", 200));
        assertTrue(accessLine(response).contains("usage_source=gateway"), accessLine(response));
    }

    @Test
    void aStreamRequestAnsweredWithAnHtml200Is502AndBilledItsPrompt() {
        String page = "<!DOCTYPE html><html><body>Please sign in to continue</body></html>";
        upstream.otherwise(StubUpstream.body(200, "text/html; charset=utf-8", page));
        double before = requests("upstream_invalid_response", 502);

        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "html200");

        assertEquals(502, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"The AI gateway answered HTTP 200 with a body that is not an event "
                     + "stream or a JSON answer (Content-Type text/html, " + page.length() + " bytes); it is not "
                     + "relayed. Nothing was generated that the sidecar could read; the prompt is billed as an "
                     + "estimate.\",\"type\":\"server_error\",\"param\":null,"
                     + "\"code\":\"upstream_invalid_response\"}}", response.body());
        assertPromptOnlyBilled("html200");
        assertEquals(before + 1, requests("upstream_invalid_response", 502));
        assertTrue(accessLine(response).contains(" status=502 outcome=upstream_invalid_response "
                                                 + "api=chat.completions code=upstream_invalid_response "),
                   accessLine(response));
    }

    @Test
    void aJsonAnswerCutShortOfItsContentLengthIs502AndBilledItsPrompt() {
        String whole = cassette("chat-completion.json");
        upstream.otherwise(StubUpstream.cutOff(200, whole, 120));
        double before = requests("upstream_interrupted", 502);

        long start = System.nanoTime();
        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "cut-length");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(502, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"The AI gateway's answer broke off after 120 bytes of the "
                     + whole.length() + " it announced (connection lost or idle longer than upstream.read-timeout); "
                     + "the partial answer is not relayed and the prompt is billed as an estimate. Retry the "
                     + "request.\",\"type\":\"server_error\",\"param\":null,\"code\":\"upstream_interrupted\"}}",
                     response.body());
        assertTrue(millis < 1500, "the closed connection is seen at once, not at the 2 s read timeout: " + millis);
        assertPromptOnlyBilled("cut-length");
        assertEquals(before + 1, requests("upstream_interrupted", 502));
        String line = accessLine(response);
        assertTrue(line.contains(" outcome=upstream_interrupted ") && line.contains(" completion_tokens=0 "
                                                                                  + "usage_source=estimated "), line);
    }

    @Test
    void aJsonAnswerStallingMidBodyIs502AtTheReadTimeout() {
        String whole = cassette("chat-completion.json");
        upstream.otherwise((exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, whole.length());
            exchange.getResponseBody().write(whole.substring(0, 80).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            pause(Duration.ofSeconds(4));
        });

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "cut-stall");

        assertEquals(502, response.statusCode());
        assertTrue(response.body().startsWith("{\"error\":{\"message\":\"The AI gateway's answer broke off after 80 "
                                              + "bytes of the " + whole.length() + " it announced"), response.body());
        assertTrue(response.body().endsWith("\"code\":\"upstream_interrupted\"}}"), response.body());
        assertPromptOnlyBilled("cut-stall");
    }

    @Test
    void aChunkedJsonAnswerEndingMidObjectIs502AndBilledItsPrompt() {
        String partial = cassette("chat-completion.json").substring(0, 150);
        upstream.otherwise(StubUpstream.chunkedPartial(200, partial));

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "cut-chunked");

        assertEquals(502, response.statusCode());
        assertEquals("{\"error\":{\"message\":\"The AI gateway's answer broke off after 150 bytes (connection lost "
                     + "or idle longer than upstream.read-timeout); the partial answer is not relayed and the prompt "
                     + "is billed as an estimate. Retry the request.\",\"type\":\"server_error\",\"param\":null,"
                     + "\"code\":\"upstream_interrupted\"}}", response.body());
        assertPromptOnlyBilled("cut-chunked");
    }

    @Test
    void aStreamClosedBeforeDoneEndsWithAnErrorEventAndIsBilledForItsText() {
        List<String> sent = events(cassette("chat-completion-no-usage.sse")).subList(0, 5);
        upstream.otherwise(StubUpstream.sse(sent, Duration.ZERO));
        double before = requests("upstream_interrupted", 200);

        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "no-done");

        assertEquals(200, response.statusCode());
        assertEquals(String.join("", sent) + "data: " + INTERRUPTED + "\n\n", response.body());
        assertStreamedTextBilled("no-done", "Here's a Python");
        assertEquals(before + 1, requests("upstream_interrupted", 200));
        assertTrue(accessLine(response).contains(" status=200 outcome=upstream_interrupted api=chat.completions "
                                                 + "code=upstream_interrupted "), accessLine(response));
    }

    /**
     * An app that asked for the stream's usage gets it even when the stream breaks: the sidecar's count, in the
     * usage chunk the gateway would have sent, before the error event; billed as that count (estimated).
     */
    @Test
    void aStreamBrokenOffStillEndsWithTheUsageTheAppAskedFor() {
        List<String> sent = events(cassette("chat-completion-no-usage.sse")).subList(0, 5);
        upstream.otherwise(StubUpstream.sse(sent, Duration.ZERO));
        String askingForUsage = STREAM_BODY.replace("\"stream\":true",
                                                    "\"stream\":true,\"stream_options\":{\"include_usage\":true}");

        HttpResponse<String> response = sidecar.chat(askingForUsage, "x-llm-team", "cut-with-usage");

        assertEquals(200, response.statusCode());
        assertTrue(response.body().startsWith(String.join("", sent)), response.body());
        List<String> ending = events(response.body().substring(String.join("", sent).length()));
        assertEquals(2, ending.size(), response.body());
        JsonNode usageChunk = read(ending.get(0).substring("data: ".length()).strip());
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals("data: " + INTERRUPTED + "\n\n", ending.get(1));
        JsonNode usage = usageChunk.get("usage");
        JsonNode row = settled("cut-with-usage");
        assertEquals(usage.get("total_tokens").asLong(), row.get("used_tokens").asLong(), "billed what it was told");
        assertEquals(tokens("cut-with-usage", "prompt", "estimated"), usage.get("prompt_tokens").asLong());
        assertEquals(tokens("cut-with-usage", "completion", "estimated"), usage.get("completion_tokens").asLong());
        assertTrue(usage.get("completion_tokens").asLong() >= 1);
    }

    /**
     * A gateway that runs past the limit is cut off by the sidecar: finish_reason "length", then, for an app that
     * asked, the usage chunk with the sidecar's count (marked estimated in metrics, not on the wire), then [DONE].
     */
    @Test
    void aStreamCutAtItsLimitEndsWithTheUsageTheAppAskedFor() {
        upstream.otherwise(StubUpstream.sse(events(cassette("chat-completion-no-usage.sse")), Duration.ZERO));
        String limited = STREAM_BODY.replace("\"stream\":true",
                "\"stream\":true,\"max_tokens\":2,\"stream_options\":{\"include_usage\":true}");

        HttpResponse<String> response = sidecar.chat(limited, "x-llm-team", "limit-with-usage");

        assertEquals(200, response.statusCode());
        List<String> got = events(response.body());
        assertEquals("data: [DONE]\n\n", got.getLast());
        JsonNode usageChunk = read(got.get(got.size() - 2).substring("data: ".length()).strip());
        JsonNode lengthChunk = read(got.get(got.size() - 3).substring("data: ".length()).strip());
        assertEquals("length", lengthChunk.get("choices").get(0).get("finish_reason").asText());
        assertEquals(0, usageChunk.get("choices").size());
        JsonNode row = settled("limit-with-usage");
        assertEquals(usageChunk.get("usage").get("total_tokens").asLong(), row.get("used_tokens").asLong());
        assertEquals(usageChunk.get("usage").get("completion_tokens").asLong(),
                     tokens("limit-with-usage", "completion", "estimated"));
    }

    /** Without include_usage the ending is as before: no usage chunk the app did not ask for. */
    @Test
    void aStreamCutAtItsLimitWithoutIncludeUsageHasNoUsageChunk() {
        upstream.otherwise(StubUpstream.sse(events(cassette("chat-completion-no-usage.sse")), Duration.ZERO));
        String limited = STREAM_BODY.replace("\"stream\":true", "\"stream\":true,\"max_tokens\":2");

        HttpResponse<String> response = sidecar.chat(limited, "x-llm-team", "limit-without-usage");

        List<String> got = events(response.body());
        assertEquals("data: [DONE]\n\n", got.getLast());
        assertEquals("length", read(got.get(got.size() - 2).substring("data: ".length()).strip())
                .get("choices").get(0).get("finish_reason").asText());
        assertFalse(response.body().contains("\"usage\""), response.body());
        settled("limit-without-usage");
    }

    @Test
    void halfAnEventBeforeTheCloseIsNotRelayed() {
        List<String> all = events(cassette("chat-completion-no-usage.sse"));
        List<String> whole = all.subList(0, 3);
        String half = all.get(3).substring(0, 60);
        upstream.otherwise(StubUpstream.sse(List.of(String.join("", whole), half), Duration.ZERO));

        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "half-event");

        assertEquals(200, response.statusCode());
        assertEquals(String.join("", whole) + "data: " + INTERRUPTED + "\n\n", response.body());
        assertStreamedTextBilled("half-event", "Here's");
    }

    @Test
    void aStreamThatEndsWithItsUsageChunkButNoDoneIsComplete() {
        List<String> all = events(cassette("chat-completion.sse"));
        List<String> sent = all.subList(0, all.size() - 1);
        upstream.otherwise(StubUpstream.sse(sent, Duration.ZERO));

        String askingForUsage = STREAM_BODY.replace("\"stream\":true",
                                                    "\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        HttpResponse<String> response = sidecar.chat(askingForUsage, "x-llm-team", "usage-no-done");

        assertEquals(String.join("", sent), response.body());
        assertEquals(17 + 20, settled("usage-no-done").get("used_tokens").asLong());
        assertTrue(accessLine(response).contains(" outcome=allowed "), accessLine(response));
    }

    @Test
    void aResponsesStreamClosedBeforeResponseCompletedEndsWithAnErrorEvent() {
        List<String> all = events(cassette("responses.sse"));
        List<String> sent = all.subList(0, all.size() - 1);
        upstream.on("/v1/responses", StubUpstream.sse(sent, Duration.ZERO));
        try {
            HttpResponse<String> response = sidecar.send(java.net.http.HttpRequest
                    .newBuilder(sidecar.url("/v1/responses")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("x-llm-team", "responses-cut")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"gpt-4o-mini\",\"input\":\"Say hi\",\"stream\":true}")).build());

            assertEquals(200, response.statusCode());
            assertEquals(String.join("", sent) + "data: " + INTERRUPTED + "\n\n", response.body());
            assertStreamedTextBilled("responses-cut", "Hi there!");
            assertTrue(accessLine(response).contains(" outcome=upstream_interrupted api=responses "),
                       accessLine(response));
        } finally {
            upstream.on("/v1/responses", StubUpstream.json(404, "{}"));
        }
    }

    @Test
    void aGatewayErrorEventEndingAStreamIsRelayedAndCountedAsAnUpstreamError() {
        List<String> all = events(cassette("chat-completion-no-usage.sse"));
        String error = "data: {\"error\":{\"message\":\"Provider overloaded\",\"type\":\"server_error\","
                       + "\"param\":null,\"code\":\"overloaded\"}}\n\n";
        List<String> sent = List.of(all.get(0), all.get(1), error);
        upstream.otherwise(StubUpstream.sse(sent, Duration.ZERO));

        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "error-event");

        assertEquals(String.join("", sent), response.body(), "the gateway's own error, and nothing added");
        assertStreamedTextBilled("error-event", "Here");
        assertTrue(accessLine(response).contains(" status=200 outcome=upstream_error api=chat.completions "
                                                 + "code=upstream_error "), accessLine(response));
    }

    @Test
    void aNonStreamRequestAnsweredWithTextAt200Is502() {
        upstream.otherwise(StubUpstream.body(200, "text/plain", "OK"));

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "text200");

        assertEquals(502, response.statusCode());
        assertTrue(response.body().startsWith("{\"error\":{\"message\":\"The AI gateway answered HTTP 200 with a "
                                              + "body that is not a JSON answer (Content-Type text/plain, 2 bytes)"),
                   response.body());
        assertPromptOnlyBilled("text200");
    }

    @Test
    void aRedirectIsNoAnswerAndNotFollowed() {
        upstream.otherwise((exchange, request) -> {
            exchange.getResponseHeaders().set("Location", "https://login.example/sso");
            StubUpstream.body(302, "text/html", "<a href=\"https://login.example/sso\">Found</a>")
                    .respond(exchange, request);
        });

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "redirect");

        assertEquals(502, response.statusCode());
        assertTrue(response.headers().firstValue("location").isEmpty());
        assertEquals("{\"error\":{\"message\":\"The AI gateway answered HTTP 302 with a body that is not an answer "
                     + "(Content-Type text/html, 45 bytes); it is not relayed.\",\"type\":\"server_error\","
                     + "\"param\":null,\"code\":\"upstream_invalid_response\"}}", response.body());
        assertEquals(0, settled("redirect").get("used_tokens").asLong());
    }

    // ---- helpers ----

    private static final String INTERRUPTED = "{\"error\":{\"message\":\"The AI gateway stopped sending in the middle "
            + "of the stream (connection lost, closed before the stream's end or idle longer than "
            + "upstream.read-timeout); what was streamed is billed.\",\"type\":\"server_error\",\"param\":null,"
            + "\"code\":\"upstream_interrupted\"}}";

    /** Billed the prompt as estimated, nothing generated; never released as zero. */
    private static void assertPromptOnlyBilled(String team) {
        JsonNode row = settled(team);
        long prompt = tokens(team, "prompt", "estimated");
        assertTrue(prompt > 5, "the prompt has ten words; estimated " + prompt);
        assertEquals(0, tokens(team, "completion", "estimated"));
        assertEquals(prompt, row.get("used_tokens").asLong(), row.toString());
        // gpt-4o-mini input at 0.15 USD per million tokens
        assertEquals(java.math.BigDecimal.valueOf(prompt * 150, 9).stripTrailingZeros(),
                     row.get("used_usd").decimalValue().stripTrailingZeros());
    }

    /** Billed the prompt and the text that reached the app, both as the tokenizer counts them. */
    private static void assertStreamedTextBilled(String team, String streamedText) {
        JsonNode row = settled(team);
        long prompt = tokens(team, "prompt", "estimated");
        long completion = tokens(team, "completion", "estimated");
        assertTrue(prompt > 0, "estimated prompt " + prompt);
        assertTrue(completion >= 1 && completion <= streamedText.length(),
                   "'" + streamedText + "' is a few tokens; estimated " + completion);
        assertEquals(prompt + completion, row.get("used_tokens").asLong(), row.toString());
    }

    private static JsonNode settled(String team) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            body = sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).body();
            for (JsonNode row : read(body).get("budgets")) {
                if (row.get("key").asText().equals("team=" + team) && row.get("reserved_tokens").asLong() == 0) {
                    return row;
                }
            }
            pause();
        }
        throw new AssertionError("team=" + team + " never settled: " + body);
    }

    private static long tokens(String team, String type, String source) {
        String series = "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"" + team + "\",type=\"" + type
                        + "\",usage_source=\"" + source + "\",}";
        return (long) value(sidecar.metrics(), series);
    }

    private static double requests(String outcome, int status) {
        return value(sidecar.metrics(), "llm_sidecar_requests_total{model=\"gpt-4o-mini\",outcome=\"" + outcome
                                        + "\",status=\"" + status + "\",}");
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The access-log line of a response, found by its request id (it is written just after the last byte). */
    private static String accessLine(HttpResponse<String> response) {
        String id = response.headers().firstValue("x-request-id").orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : logs.lines()) {
                if (line.contains("request_id=" + id + " ")) {
                    return line;
                }
            }
            pause();
        }
        throw new AssertionError("no access-log line for " + id);
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause() {
        pause(Duration.ofMillis(20));
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
