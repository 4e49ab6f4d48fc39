package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.testing.StubCollector;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decision-log events shipped to an OPA-compatible decision-log service (a stub collector on 127.0.0.1): the wire
 * format, the bearer token from a file, retries, and a collector that stalls or dies, which must never reach the
 * requests being logged.
 */
class DecisionLogServiceIT {
    private static final String TOKEN = "dl-token-8d1f0e2a";

    private static PolicyConfig.DecisionLogTarget.Service service(StubCollector collector, Path tokenFile,
                                                                  int events, Duration interval) {
        return new PolicyConfig.DecisionLogTarget.Service(collector.url(), Optional.of(tokenFile), events, 1 << 20,
                                                          interval);
    }

    private static String event(int i) {
        return "{\"decision_id\":\"d-" + i + "\",\"path\":\"sidecar/decision\"}";
    }

    @Test
    void postsGzipJsonArraysWithTheBearerTokenReadFromTheFileEachTime(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        try (StubCollector collector = StubCollector.start(TOKEN)) {
            SidecarMetrics metrics = new SidecarMetrics("test");
            try (DecisionLogUploader uploader = new DecisionLogUploader(
                    service(collector, tokenFile, 1000, Duration.ofMillis(100)), metrics)) {
                for (int i = 0; i < 10; i++) {
                    uploader.offer(event(i));
                }
                List<JsonNode> events = collector.awaitEvents(10, Duration.ofSeconds(10));
                assertEquals("d-0", events.getFirst().get("decision_id").asText(), "in order");
                StubCollector.Upload first = collector.uploads().getFirst();
                assertEquals("Bearer " + TOKEN, first.authorization());
                assertEquals("gzip", first.contentEncoding());
                assertEquals("application/json", first.contentType());

                // The file changes (a Secret rotated badly, then fixed): each upload reads it again.
                Files.writeString(tokenFile, "wrong-token");
                uploader.offer(event(10));
                awaitUpload(collector, u -> u.status() == 401);
                assertEquals(10, collector.events().size(), "an unauthorised upload is not accepted");
                Files.writeString(tokenFile, TOKEN);
                assertEquals(11, collector.awaitEvents(11, Duration.ofSeconds(15)).size(),
                             "the batch refused with 401 is retried, with the token read again");
            }
            assertTrue(counter(scrape(metrics), "llm_sidecar_decision_log_uploads_total{result=\"error\",}") >= 1);
        }
    }

    @Test
    void retriesFailedUploadsWithBackoffAndDeliversEachEventOnce(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
        try (StubCollector collector = StubCollector.start(TOKEN)) {
            collector.failNext(3);
            SidecarMetrics metrics = new SidecarMetrics("test");
            try (DecisionLogUploader uploader = new DecisionLogUploader(
                    service(collector, tokenFile, 1000, Duration.ofMillis(50)), metrics)) {
                for (int i = 0; i < 50; i++) {
                    uploader.offer(event(i));
                }
                List<JsonNode> events = collector.awaitEvents(50, Duration.ofSeconds(20));
                Set<String> ids = new HashSet<>();
                events.forEach(e -> ids.add(e.get("decision_id").asText()));
                assertEquals(50, ids.size());
                assertEquals(50, events.size(), "nothing delivered twice");
            }
            assertEquals(3, collector.uploads().stream().filter(u -> u.status() == 503).count());
            assertEquals(3.0, counter(scrape(metrics), "llm_sidecar_decision_log_uploads_total{result=\"error\",}"));
            assertEquals(0.0, counter(scrape(metrics),
                                      "llm_sidecar_decision_log_dropped_total{reason=\"buffer_full\",}"));
        }
    }

    @Test
    void aStalledCollectorNeverBlocksTheCallerAndDropsTheOldestEventsCountingThem(@TempDir Path dir)
            throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
        try (StubCollector collector = StubCollector.start(TOKEN)) {
            collector.stall();
            SidecarMetrics metrics = new SidecarMetrics("test");
            int offered = 5_000;
            try (DecisionLogUploader uploader = new DecisionLogUploader(
                    service(collector, tokenFile, 100, Duration.ofMillis(20)), metrics)) {
                uploader.offer(event(-1));
                Thread.sleep(200);                    // the first upload is now held by the collector
                long started = System.nanoTime();
                for (int i = 0; i < offered; i++) {
                    uploader.offer(event(i));
                }
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertTrue(millis < 2_000, offered + " events took " + millis + " ms to buffer");
                assertEquals(100, uploader.buffered(), "the buffer holds at most its bound");
                collector.release();
                // Every event is either delivered or counted as dropped: nothing vanishes unaccounted.
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (collector.events().size() + counter(scrape(metrics), DROPPED) < offered + 1
                       && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            double dropped = counter(scrape(metrics), DROPPED);
            assertEquals(offered + 1, collector.events().size() + (long) dropped);
            assertEquals(offered - 100, (long) dropped, "the oldest dropped, the newest 100 kept");
            assertEquals("d-" + (offered - 1), collector.events().getLast().get("decision_id").asText());
        }
    }

    @Test
    void aStalledOrDeadCollectorNeverSlowsOrFailsARequestThroughTheSidecar(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
        try (StubCollector collector = StubCollector.start(TOKEN);
             StubUpstream upstream = StubUpstream.start()) {
            collector.stall();
            try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of(
                    "policy.decision-log", collector.url().toString(),
                    "policy.decision-log-token-file", tokenFile.toString(),
                    "policy.decision-log-buffer-events", "20",
                    "policy.decision-log-upload-interval", "50ms"))) {
                String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
                              + "\"content\":\"hi\"}]}";
                sidecar.chat(body, "x-llm-team", "payments");          // warm up
                Thread.sleep(200);
                long slowest = 0;
                for (int i = 0; i < 40; i++) {
                    long started = System.nanoTime();
                    HttpResponse<String> response = sidecar.chat(body, "x-llm-team", "payments");
                    slowest = Math.max(slowest, (System.nanoTime() - started) / 1_000_000);
                    assertEquals(200, response.statusCode(), response.body());
                }
                assertTrue(slowest < 1_000, "a request took " + slowest + " ms with the collector stalled");
                String metrics = sidecar.metricsContaining("llm_sidecar_decision_log_dropped_total");
                assertTrue(counter(metrics, DROPPED) > 0, metrics);

                // The collector dies: requests still pass.
                collector.close();
                for (int i = 0; i < 5; i++) {
                    assertEquals(200, sidecar.chat(body, "x-llm-team", "payments").statusCode());
                }
            }
        }
    }

    @Test
    void shipsDecisionAndSettlementEventsForRealRequests(@TempDir Path dir) throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
        try (StubCollector collector = StubCollector.start(TOKEN);
             StubUpstream upstream = StubUpstream.start()) {
            try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of(
                    "policy.decision-log", collector.url().toString(),
                    "policy.decision-log-token-file", tokenFile.toString(),
                    "policy.decision-log-upload-interval", "50ms",
                    "identity.pod", "checkout-1", "identity.namespace", "shop"))) {
                HttpResponse<String> ok = sidecar.chat("{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":"
                                                       + "[{\"role\":\"user\",\"content\":\"Plan meals.\"}]}",
                                                       "x-llm-team", "payments");
                assertEquals(200, ok.statusCode(), ok.body());
                HttpResponse<String> denied = sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
                                                           + "\"user\",\"content\":\"key AKIAIOSFODNN7EXAMPLE\"}]}",
                                                           "x-llm-team", "payments");
                assertEquals(403, denied.statusCode(), denied.body());
                collector.awaitEvents(3, Duration.ofSeconds(10));
            }
            List<JsonNode> decisions = collector.events("sidecar/decision");
            List<JsonNode> settlements = collector.events("sidecar/settlement");
            assertEquals(2, decisions.size(), collector.events().toString());
            assertEquals(1, settlements.size(), "a settlement only for the forwarded request");
            JsonNode settled = settlements.getFirst();
            JsonNode admitted = decisions.stream().filter(d -> d.at("/result/allow").asBoolean()).findFirst()
                    .orElseThrow();
            assertEquals(admitted.get("decision_id"), settled.get("decision_id"));
            assertEquals("gateway", settled.at("/result/usage_source").asText());
            assertTrue(settled.at("/result/tokens/output").asLong() > 0, settled.toString());
            assertTrue(settled.at("/result/price_book_revision").asText().matches("[0-9a-f]{12}"), settled.toString());
            assertEquals("shop", admitted.at("/labels/namespace").asText());
            assertEquals("checkout-1", admitted.at("/labels/pod").asText());
            assertTrue(collector.events().stream().noneMatch(e -> e.toString().contains("AKIAIOSFODNN7EXAMPLE")),
                       "no prompt text in any event");
            assertTrue(collector.events().stream().noneMatch(e -> e.toString().contains("Plan meals")));
        }
    }

    private static final String DROPPED = "llm_sidecar_decision_log_dropped_total{reason=\"buffer_full\",}";

    private static void awaitUpload(StubCollector collector, java.util.function.Predicate<StubCollector.Upload> p)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (collector.uploads().stream().noneMatch(p)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no such upload: " + collector.uploads());
            }
            Thread.sleep(20);
        }
    }

    static String scrape(SidecarMetrics metrics) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.scrape(metrics.contentType("text/plain"), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    static double counter(String metrics, String series) {
        Matcher m = Pattern.compile(Pattern.quote(series) + " ([0-9.eE+-]+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
