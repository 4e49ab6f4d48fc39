package io.llmsidecar.proxy;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With no OTLP endpoint (nothing exported), the gateway still sees the app's trace continued: the sidecar sets
 * {@code traceparent} from a span id of its own, whatever the app sent, and a malformed header starts a new trace
 * instead of failing the request.
 */
class TracePropagationTest {
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
    private static final String APP_TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String APP_SPAN = "b7ad6b7169203331";
    private static final String BODY =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static StubUpstream upstream;
    private static TestSidecar sidecar;

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        upstream.on("/v1/models", StubUpstream.json(200, cassette("openai-models-list.json")));
        sidecar = TestSidecar.start(upstream, Map.of());
        assertTrue(!sidecar.sidecar().tracing().exporting(), "no endpoint configured: nothing is exported");
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    /** Sends a chat call with the given headers; returns the traceparent's parts the gateway got. */
    private static Matcher forwarded(String... headers) throws InterruptedException {
        HttpResponse<String> res = sidecar.chat(BODY, headers);
        assertEquals(200, res.statusCode(), res.body());
        StubUpstream.Recorded r = upstream.awaitRequest(Duration.ofSeconds(5));
        String traceparent = r.header("traceparent");
        Matcher m = TRACEPARENT.matcher(String.valueOf(traceparent));
        assertTrue(m.matches(), "the gateway gets a valid traceparent, got " + traceparent);
        return m;
    }

    @Test
    void theGatewayGetsTheAppsTraceWithTheSidecarAsParent() throws InterruptedException {
        Matcher m = forwarded("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01");
        assertEquals(APP_TRACE, m.group(1), "same trace");
        assertNotEquals(APP_SPAN, m.group(2), "the sidecar's own span id, not the app's");
        assertNotEquals("0000000000000000", m.group(2));
        assertEquals("01", m.group(3), "the app's sampling decision is kept");
    }

    @Test
    void anUnsampledAppTraceStaysUnsampled() throws InterruptedException {
        Matcher m = forwarded("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-00");
        assertEquals(APP_TRACE, m.group(1));
        assertEquals("00", m.group(3));
    }

    @Test
    void everyRequestGetsASpanIdOfItsOwn() throws InterruptedException {
        Set<String> spans = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            spans.add(forwarded("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01").group(2));
        }
        assertEquals(5, spans.size());
    }

    @Test
    void theAppsTracestateIsDroppedByDefault() throws InterruptedException {
        // Free-form vendor data the detectors never scan: a channel to the gateway unless the operator opts in.
        forwarded("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01", "tracestate", "congo=t61rcWkgMzE");
        assertNull(upstream.requests().getLast().header("tracestate"));
    }

    @Test
    void theAppsTracestateContinuesWhenValidAndTheOperatorSaysSo() throws InterruptedException {
        try (TestSidecar optIn = TestSidecar.start(upstream, Map.of("tracing.forward-tracestate", "true"))) {
            HttpRequest request = HttpRequest.newBuilder(optIn.url("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01")
                    .header("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
            assertEquals(200, optIn.send(request).statusCode());
            StubUpstream.Recorded r = upstream.awaitRequest(Duration.ofSeconds(5));
            assertEquals("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", r.header("tracestate"));

            // Free text in tracestate is no tracestate: dropped even then.
            request = HttpRequest.newBuilder(optIn.url("/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01")
                    .header("tracestate", "my password is hunter2, AKIAIOSFODNN7EXAMPLE")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
            assertEquals(200, optIn.send(request).statusCode());
            r = upstream.awaitRequest(Duration.ofSeconds(5));
            assertTrue(r.header("traceparent").startsWith("00-" + APP_TRACE + "-"));
            assertNull(r.header("tracestate"));
        }
    }

    @Test
    void withoutATraceparentANewSampledTraceStarts() throws InterruptedException {
        Matcher m = forwarded();
        assertNotEquals(APP_TRACE, m.group(1));
        assertNotEquals("00000000000000000000000000000000", m.group(1));
        assertEquals("01", m.group(3));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "garbage",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",            // no flags
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",         // all-zero trace id
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",         // all-zero span id
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",         // forbidden version
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",         // upper case
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",   // version 00 has no more fields
            "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01",         // field lengths off
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g"})        // not hex
    void aMalformedTraceparentStartsANewTraceAndIsNoError(String malformed) throws InterruptedException {
        Matcher m = forwarded("traceparent", malformed);
        assertNotEquals(APP_TRACE, m.group(1), "a new trace");
        assertTrue(!upstream.requests().getLast().header("traceparent").equals(malformed));
    }

    @Test
    void aTraceparentSentTwiceIsMalformed() throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .header("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01")
                .header("traceparent", "00-11111111111111111111111111111111-" + APP_SPAN + "-01")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        assertEquals(200, sidecar.send(request).statusCode());
        Matcher m = TRACEPARENT.matcher(upstream.awaitRequest(Duration.ofSeconds(5)).header("traceparent"));
        assertTrue(m.matches());
        assertNotEquals(APP_TRACE, m.group(1));
        assertNotEquals("11111111111111111111111111111111", m.group(1));
    }

    @Test
    void passThroughRoutesContinueTheTraceToo() throws InterruptedException {
        HttpResponse<String> res = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/models"))
                .header("traceparent", "00-" + APP_TRACE + "-" + APP_SPAN + "-01").GET().build());
        assertEquals(200, res.statusCode());
        Matcher m = TRACEPARENT.matcher(upstream.awaitRequest(Duration.ofSeconds(5)).header("traceparent"));
        assertTrue(m.matches());
        assertEquals(APP_TRACE, m.group(1));
        assertNotEquals(APP_SPAN, m.group(2));
    }

    @Test
    void operatorsCannotAllowListTheTraceHeaders() {
        assertTrue(ForwardedHeaders.problem("traceparent").isPresent());
        assertTrue(ForwardedHeaders.problem("tracestate").isPresent());
        assertTrue(ForwardedHeaders.problem("trace*").isPresent(), "nor through a prefix");
    }
}
