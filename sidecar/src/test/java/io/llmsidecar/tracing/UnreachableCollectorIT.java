package io.llmsidecar.tracing;

import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A collector that never answers (a socket that accepts and then stays silent, the worst case: an export waits for its
 * whole timeout) or that refuses connections costs dropped spans, counted in
 * {@code llm_sidecar_trace_spans_dropped_total}, and never a request's time.
 */
class UnreachableCollectorIT {
    private static final String BODY =
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Pattern DROPPED = Pattern.compile("(?m)^llm_sidecar_trace_spans_dropped_total (\\S+)$");

    @Test
    void aSilentCollectorNeitherSlowsNorFailsRequestsAndDroppedSpansAreCounted() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        held.add(silent.accept());                       // accepted, never read, never answered
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            assertRequestsStayFastAndDropsAreCounted("http://127.0.0.1:" + silent.getLocalPort());
            assertTrue(!held.isEmpty(), "the sidecar did try to export");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void aRefusingCollectorNeitherSlowsNorFailsRequests() throws Exception {
        assertRequestsStayFastAndDropsAreCounted("http://127.0.0.1:" + Project.freePort());
    }

    private static void assertRequestsStayFastAndDropsAreCounted(String endpoint) throws Exception {
        try (StubUpstream upstream = StubUpstream.start()) {
            upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
            long closedIn;
            TestSidecar sidecar = TestSidecar.start(upstream, Map.of(
                    "tracing.otlp.endpoint", endpoint,
                    "tracing.otlp.timeout", "30000",              // an export blocking requests would show
                    "tracing.batch.export-timeout", "30000",
                    "tracing.batch.schedule-delay", "1",
                    "tracing.batch.max-queue-size", "4",
                    "tracing.batch.max-export-batch-size", "2"));
            boolean closed = false;
            try {
                assertTrue(sidecar.sidecar().tracing().exporting());
                sidecar.chat(BODY);                                   // warm-up
                long slowest = 0;
                for (int i = 0; i < 40; i++) {
                    long start = System.nanoTime();
                    HttpResponse<String> res = sidecar.chat(BODY);
                    slowest = Math.max(slowest, System.nanoTime() - start);
                    assertEquals(200, res.statusCode(), res.body());
                }
                assertTrue(slowest < 2_000_000_000L, "slowest request took " + slowest / 1_000_000 + " ms");
                // 41 requests × 5 spans through a queue of 4 whose exports cannot finish: most are dropped.
                Matcher m = DROPPED.matcher(sidecar.metricsContaining("llm_sidecar_trace_spans_dropped_total"));
                assertTrue(m.find());
                assertTrue(Double.parseDouble(m.group(1)) >= 100, "dropped: " + m.group(1));
                long closing = System.nanoTime();
                sidecar.close();
                closed = true;
                closedIn = System.nanoTime() - closing;
            } finally {
                if (!closed) {
                    sidecar.close();
                }
            }
            assertTrue(closedIn < 15_000_000_000L, "shutdown waited " + closedIn / 1_000_000 + " ms on the collector");
        }
    }
}
