package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in-flight body budget against a real sidecar: bodies beyond it wait, then get 503 in the error shape of the
 * API called, and never reach the gateway; every request gives its bytes back however it ends (answered, refused,
 * cut off by the gateway, streamed, or abandoned by its client in the middle of its body).
 */
class BodyBudgetIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IN_FLIGHT = Pattern.compile("(?m)^llm_sidecar_inflight_body_bytes (\\S+)$");
    private static final Pattern REFUSALS = Pattern.compile("(?m)^llm_sidecar_inflight_body_refusals_total (\\S+)$");
    private static final Pattern ESTIMATED_PROMPT = Pattern.compile(
            "(?m)^llm_sidecar_tokens_total\\{[^}]*type=\"prompt\",usage_source=\"estimated\",?\\} (\\S+)$");
    /** A 40 KB prompt: one fits the 64 KiB budget, two do not. */
    private static final String LARGE = chat(40_000);

    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private CountDownLatch release;

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of("server.max-body-size", "64KiB",
                                                     "server.max-inflight-body-bytes", "64KiB",
                                                     "server.inflight-body-wait", "1s"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    @BeforeEach
    void holdAnswersUntilReleased() {
        release = new CountDownLatch(1);
        CountDownLatch gate = release;
        StubUpstream.Responder answer = StubUpstream.json(200, StubUpstream.cassette("chat-completion.json"));
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            try {
                if (!gate.await(20, TimeUnit.SECONDS)) {
                    throw new IOException("the test never released the answer");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            answer.respond(exchange, request);
        });
    }

    @AfterEach
    void everyByteIsGivenBack() {
        release.countDown();
        awaitInFlight(0);
    }

    @Test
    void bodiesBeyondTheBudgetGet503InTheirApisShapeAndAreNeverForwarded() throws Exception {
        int before = upstream.requestCount();
        CompletableFuture<HttpResponse<String>> held = sendAsync("/v1/chat/completions", LARGE);
        awaitForwarded(before + 1);
        assertTrue(inFlight() >= LARGE.length(), "the admitted body is not counted: " + inFlight());
        double refusedBefore = refusals();

        HttpResponse<String> chat = sidecar.chat(LARGE);
        assertEquals(503, chat.statusCode(), chat.body());
        assertEquals("1", chat.headers().firstValue("retry-after").orElseThrow());
        UpstreamFailuresIT.assertErrorShape(chat.body(), "sidecar_overloaded", "server_error");
        assertTrue(JSON.readTree(chat.body()).get("error").get("message").asText()
                           .contains("server.max-inflight-body-bytes"));

        HttpResponse<String> messages = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/messages"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(LARGE.replace("\"model\":\"gpt-4o-mini\"",
                        "\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16")))
                .build());
        assertEquals(503, messages.statusCode(), messages.body());
        assertEquals("1", messages.headers().firstValue("retry-after").orElseThrow());
        JsonNode anthropic = JSON.readTree(messages.body());
        assertEquals("error", anthropic.get("type").asText());
        assertEquals("overloaded_error", anthropic.get("error").get("type").asText());

        // Chunked, no length announced: its bytes are taken as they arrive, and it is refused the same way.
        HttpResponse<String> chunked = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(LARGE.getBytes(StandardCharsets.UTF_8))))
                .build());
        assertEquals(503, chunked.statusCode(), chunked.body());
        UpstreamFailuresIT.assertErrorShape(chunked.body(), "sidecar_overloaded", "server_error");

        assertEquals(before + 1, upstream.requestCount(), "a refused body reached the gateway");
        assertEquals(refusedBefore + 3, refusals());

        release.countDown();
        assertEquals(200, held.get(10, TimeUnit.SECONDS).statusCode());
        awaitInFlight(0);
        assertEquals(200, sidecar.chat(LARGE).statusCode(), "the budget is free again");
        assertEquals(before + 2, upstream.requestCount());
    }

    @Test
    void aBodyThatWaitsGetsInOnceTheRequestAheadOfItEnds() throws Exception {
        int before = upstream.requestCount();
        CompletableFuture<HttpResponse<String>> first = sendAsync("/v1/chat/completions", LARGE);
        awaitForwarded(before + 1);
        CompletableFuture<HttpResponse<String>> second = sendAsync("/v1/chat/completions", LARGE);
        Thread.sleep(200);                       // the second is waiting for room now (the wait is 1 s)
        release.countDown();
        assertEquals(200, first.get(10, TimeUnit.SECONDS).statusCode());
        assertEquals(200, second.get(10, TimeUnit.SECONDS).statusCode());
    }

    @Test
    void manySmallRequestsAtOnceAllPass() throws Exception {
        release.countDown();
        List<CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 32; i++) {
            all.add(sendAsync("/v1/chat/completions", chat(500)));
        }
        for (CompletableFuture<HttpResponse<String>> response : all) {
            assertEquals(200, response.get(20, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void aClientThatAnnouncesABodyAndHangsUpHalfwayGivesItsBytesBack() throws Exception {
        byte[] body = LARGE.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), sidecar.sidecar().port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 5; i++) {                  // slowly: a few hundred bytes at a time
                out.write(body, i * 300, 300);
                out.flush();
                Thread.sleep(50);
            }
            awaitInFlight(body.length);                    // held while it trickles in
            assertEquals(503, sidecar.chat(LARGE).statusCode(), "the slow body's bytes were not counted");
        }
        awaitInFlight(0);                                  // hung up: given back
        release.countDown();
        assertEquals(200, sidecar.chat(LARGE).statusCode());
    }

    @Test
    void aGatewayThatBreaksOffOrStreamsGivesTheBytesBackToo() {
        upstream.on("/v1/chat/completions", StubUpstream.cutOff(200, StubUpstream.cassette("chat-completion.json"),
                                                                 40));
        assertEquals(502, sidecar.chat(LARGE).statusCode());
        awaitInFlight(0);
        upstream.on("/v1/chat/completions", StubUpstream.sse(
                List.of("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\","
                        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,\"total_tokens\":6}}\n\n",
                        "data: [DONE]\n\n"), Duration.ZERO));
        HttpResponse<String> stream = sidecar.chat(LARGE.replace("\"messages\"", "\"stream\":true,\"messages\""));
        assertEquals(200, stream.statusCode(), stream.body());
        assertTrue(stream.body().contains("[DONE]"), stream.body());
        awaitInFlight(0);
        upstream.on("/v1/chat/completions", StubUpstream.json(500, "{\"error\":{\"message\":\"down\"}}"));
        assertEquals(500, sidecar.chat(LARGE).statusCode());
        awaitInFlight(0);
    }

    @Test
    void anAnswerPastTheLimitIsServedWholeAndBilledFromItsUsage() throws Exception {
        // The limit is 64 KiB: 40 KB held by a request in flight, 20 KB by this one and its 100 KB answer make
        // 160 KB. The gateway served the answer, so it is relayed and billed from its usage, never dropped.
        String content = "word ".repeat(20_000);
        String answer = StubUpstream.cassette("chat-completion.json").replaceFirst("\"content\":\\s*\"[^\"]*\"",
                                                                                    "\"content\":\"" + content + "\"");
        assertTrue(answer.length() > 100_000, "the answer was not enlarged");
        StubUpstream.Responder large = StubUpstream.json(200, answer);
        CountDownLatch gate = release;
        StubUpstream.Responder held = StubUpstream.json(200, StubUpstream.cassette("chat-completion.json"));
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            if (request.body().length > 30_000) {
                try {
                    gate.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                held.respond(exchange, request);
            } else {
                large.respond(exchange, request);
            }
        });
        double estimatedBefore = estimatedPromptTokens();
        int before = upstream.requestCount();
        CompletableFuture<HttpResponse<String>> first = sendAsync("/v1/chat/completions", LARGE);
        awaitForwarded(before + 1);
        HttpResponse<String> served = sidecar.chat(chat(20_000));
        assertEquals(200, served.statusCode(), served.body().substring(0, Math.min(300, served.body().length())));
        assertEquals(JSON.readTree(answer), JSON.readTree(served.body()), "the answer is relayed whole");
        assertEquals(estimatedBefore, estimatedPromptTokens(), "billed from the gateway's usage, not estimated");
        release.countDown();
        assertEquals(200, first.get(10, TimeUnit.SECONDS).statusCode());
        awaitInFlight(0);
    }

    private static String chat(int size) {
        String head = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        return head + "word ".repeat((size - head.length() - tail.length()) / 5) + tail;
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(String path, String body) {
        return sidecar.client().sendAsync(HttpRequest.newBuilder(sidecar.url(path))
                                                  .timeout(Duration.ofSeconds(30))
                                                  .header("Content-Type", "application/json")
                                                  .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                          HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitForwarded(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (upstream.requestCount() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(count, upstream.requestCount(), "requests the gateway received");
    }

    /** Prompt tokens billed as estimated, over every series. */
    private static double estimatedPromptTokens() {
        Matcher m = ESTIMATED_PROMPT.matcher(sidecar.metrics());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static double inFlight() {
        return metric(IN_FLIGHT);
    }

    private static double refusals() {
        return metric(REFUSALS);
    }

    private static double metric(Pattern pattern) {
        Matcher m = pattern.matcher(sidecar.metrics());
        assertTrue(m.find(), pattern.pattern());
        return Double.parseDouble(m.group(1));
    }

    /** Waits up to 5 s for the bytes in flight to reach {@code expected}. */
    private static void awaitInFlight(double expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        double now;
        while ((now = inFlight()) != expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertEquals(expected, now, "bytes in flight");
    }
}
