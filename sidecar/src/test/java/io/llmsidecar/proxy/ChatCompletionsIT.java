package io.llmsidecar.proxy;

import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-streamed chat completions through a real sidecar to a real stub gateway. */
class ChatCompletionsIT {
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
                                       + "\"content\":\"Help me plan meals for the week.\"}],\"temperature\":0.7}";
    private static StubUpstream upstream;
    private static TestSidecar sidecar;
    private static LogCapture logs;

    @BeforeAll
    static void start() {
        logs = LogCapture.start();
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of());
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
        logs.close();
    }

    @BeforeEach
    void reset() {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
    }

    @Test
    void forwardsTheBodyUnchangedWithTheSidecarsKeyAndNotTheAppsOwn() throws Exception {
        HttpResponse<String> response = sidecar.chat(BODY, "Authorization", "Bearer app-own-key-123",
                                                     "X-Custom-Trace", "abc", "x-llm-team", "payments");

        assertEquals(200, response.statusCode());
        StubUpstream.Recorded received = upstream.awaitRequest(Duration.ofSeconds(5));
        assertEquals("POST", received.method());
        assertEquals("/v1/chat/completions", received.path());
        assertArrayEquals(BODY.getBytes(), received.body(), "body must reach the gateway byte for byte");
        assertEquals("Bearer " + TestSidecar.KEY, received.header("authorization"));
        assertNull(received.header("x-custom-trace"), "headers off the allow-list stay in the pod");
        assertNull(received.header("x-llm-team"), "sidecar control headers stay in the pod");
        assertFalse(received.headers().toString().contains("app-own-key-123"), "the app's key must not leak");
        assertNotNull(received.header("x-request-id"));
        assertEquals(received.header("x-request-id"), response.headers().firstValue("x-request-id").orElseThrow());
    }

    @Test
    void relaysTheGatewaysAnswerAndCountsItsUsage() {
        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "meals");

        assertEquals(200, response.statusCode());
        assertEquals(cassette("chat-completion.json"), response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        sidecar.metricsContaining(
                "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"meals\",type=\"prompt\","
                + "usage_source=\"gateway\",} 15.0",
                "llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"meals\",type=\"completion\","
                + "usage_source=\"gateway\",} 245.0");
        assertTrue(logs.all().contains("outcome=allowed"), "the capture must see the access log to mean anything");
        assertFalse(logs.all().contains(TestSidecar.KEY), "the gateway key must never be logged");
        assertFalse(logs.all().contains("Help me plan meals"), "prompts must never be logged");
    }
}
