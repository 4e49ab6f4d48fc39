package io.llmsidecar.proxy;

import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.RawHttp;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static io.llmsidecar.testing.StubUpstream.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streamed chat completions: relayed as they arrive, usage billed, disconnects and stalls handled. */
class StreamingIT {
    private static final String STREAM_BODY = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":"
                                              + "\"user\",\"content\":\"Write a fibonacci function\"}]}";
    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static LogCapture logs;

    @BeforeAll
    static void start() {
        logs = LogCapture.start();
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of("upstream.read-timeout", "700ms"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
        assertTrue(logs.all().contains("stream=true"), "the capture must see the access log to mean anything");
        assertFalse(logs.all().contains(TestSidecar.KEY), "the gateway key must never be logged");
        assertFalse(logs.all().contains("fibonacci"), "prompts must never be logged");
        logs.close();
    }

    @Test
    void theFirstChunkReachesTheAppBeforeTheGatewaySendsTheLast() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> events = events(cassette("chat-completion.sse"));
        upstream.on("/v1/chat/completions", StubUpstream.gatedSse(events, release));
        try (RawHttp app = RawHttp.post(sidecar.sidecar().port(), "/v1/chat/completions", STREAM_BODY)) {
            String first = app.readUntil("\n\n");
            assertTrue(first.startsWith("HTTP/1.1 200"), first);
            assertTrue(first.contains("text/event-stream"), first);
            assertEquals(1, release.getCount(), "the gateway is still holding back the rest of the stream");
            release.countDown();
            String all = app.readUntil("data: [DONE]");
            assertTrue(all.contains("\"content\":\" return\""), all);
        }
    }

    @Test
    void asksTheGatewayForUsageBillsItAndHidesTheChunkFromAnAppThatDidNotAsk() throws Exception {
        upstream.on("/v1/chat/completions", StubUpstream.sse(events(cassette("chat-completion.sse")), Duration.ZERO));
        HttpResponse<String> response = sidecar.chat(STREAM_BODY, "x-llm-team", "streamers");

        assertEquals(200, response.statusCode());
        String expected = String.join("", events(cassette("chat-completion.sse")).stream()
                .filter(e -> !e.contains("\"choices\":[]")).toList());
        assertEquals(expected, response.body());
        StubUpstream.Recorded sent = lastRequest();
        assertTrue(sent.bodyText().contains("\"stream_options\":{\"include_usage\":true}"), sent.bodyText());
        sidecar.metricsContaining(
                "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"streamers\",type=\"prompt\","
                + "usage_source=\"gateway\",} 17.0",
                "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"streamers\",type=\"completion\","
                + "usage_source=\"gateway\",} 20.0");
    }

    @Test
    void passesTheUsageChunkToAnAppThatAskedForIt() {
        upstream.on("/v1/chat/completions", StubUpstream.sse(events(cassette("chat-completion.sse")), Duration.ZERO));
        HttpResponse<String> response = sidecar.chat(STREAM_BODY.replace("\"stream\":true",
                "\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(cassette("chat-completion.sse"), response.body());
    }

    @Test
    void estimatesAndLabelsUsageWhenTheGatewaySendsNone() {
        upstream.on("/v1/chat/completions",
                    StubUpstream.sse(events(cassette("chat-completion-no-usage.sse")), Duration.ZERO));
        sidecar.chat(STREAM_BODY, "x-llm-team", "no-usage-stream");
        sidecar.metricsContaining("team=\"no-usage-stream\",type=\"completion\",usage_source=\"estimated\",");
    }

    @Test
    void anAppHangingUpCancelsTheGatewayCall() throws Exception {
        CountDownLatch cancelled = new CountDownLatch(1);
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            byte[] event = ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tick\"}}]}\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            try {
                for (int i = 0; i < 500; i++) { // ~10 s of output if nobody stops it
                    out.write(event);
                    out.flush();
                    Thread.sleep(20);
                }
            } catch (IOException e) {
                cancelled.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (RawHttp app = RawHttp.post(sidecar.sidecar().port(), "/v1/chat/completions", STREAM_BODY)) {
            app.readUntil("tick");
        }
        assertTrue(cancelled.await(5, TimeUnit.SECONDS), "the sidecar kept the gateway generating for nobody");
    }

    @Test
    void aStreamMayRunLongerThanTheReadTimeoutAsLongAsItKeepsTalking() {
        // 12 events 150 ms apart: 1.8 s in total, never 700 ms silent; the stream ends properly, with [DONE].
        List<String> all = events(cassette("chat-completion.sse"));
        List<String> twelve = new java.util.ArrayList<>(all.subList(0, 11));
        twelve.add(all.getLast());
        upstream.on("/v1/chat/completions", StubUpstream.sse(twelve, Duration.ofMillis(150)));
        HttpResponse<String> response = sidecar.chat(STREAM_BODY);
        assertEquals(200, response.statusCode());
        assertEquals(12, response.body().split("\n\n").length, response.body());
        assertFalse(response.body().contains("\"error\""), response.body());
    }

    @Test
    void aGatewayFallingSilentMidStreamEndsTheStreamWithAnErrorEvent() {
        List<String> events = events(cassette("chat-completion.sse"));
        upstream.on("/v1/chat/completions", (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write((events.get(0) + events.get(1)).getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        HttpResponse<String> response = sidecar.chat(STREAM_BODY);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, response.statusCode());
        assertTrue(response.body().startsWith(events.get(0) + events.get(1)), response.body());
        assertTrue(response.body().contains("data: {\"error\":{") && response.body().contains("upstream_interrupted"),
                   response.body());
        assertTrue(millis < 2500, "the idle timeout (700 ms) should end the stream, took " + millis + " ms");
    }

    private static StubUpstream.Recorded lastRequest() {
        List<StubUpstream.Recorded> all = upstream.requests();
        return all.get(all.size() - 1);
    }
}
