package io.llmsidecar.lifecycle;

import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway whose {@code /models} hangs must not hold up budget work: reservations of live streams keep being
 * renewed in Redis and settle exactly. (With one background thread for everything, a price fetch waiting out the
 * 300 s read timeout kept renewal from running and the stream's reservation expired under it.)
 */
class BackgroundIsolationIT {
    private static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":40,"
                                         + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private RedisServer redis;
    private StubUpstream upstream;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        upstream = StubUpstream.start();
    }

    @AfterEach
    void stop() {
        upstream.close();
        redis.close();
    }

    @Test
    void renewsAndSettlesReservationsWhileTheGatewaysModelsCallHangs() throws Exception {
        String prefix = RedisServer.uniquePrefix();
        // /models answers nothing for a minute; the stream runs 6 s against a 3 s reservation TTL (renewed every 1 s).
        upstream.on("/models", StubUpstream.silent(Duration.ofSeconds(60)));
        List<String> events = new ArrayList<>(Collections.nCopies(30,
                "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":"
                + "[{\"index\":0,\"delta\":{\"content\":\" hi\"},\"finish_reason\":null}]}\n\n"));
        events.add("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
                   + "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":30,\"total_tokens\":38}}\n\n");
        events.add("data: [DONE]\n\n");
        upstream.on("/v1/chat/completions", StubUpstream.sse(events, Duration.ofMillis(200)));
        String yaml = """
                      budgets:
                        - {name: team-daily, scope: [team], window: day, tokens: 1000000}
                      """;
        try (LogCapture logs = LogCapture.start();
             TestSidecar sidecar = TestSidecar.start(upstream, yaml, Map.of(
                     "pricing.refresh-interval", "1s",
                     "budget-store.redis-uri", redis.uri(),
                     "budget-store.key-prefix", prefix,
                     "budget-store.reservation-ttl", "3s"))) {
            upstream.awaitRequest(Duration.ofSeconds(10));              // the price fetch, which now hangs
            awaitBudgetStore(sidecar);
            long reservedAt = System.currentTimeMillis();
            CompletableFuture<HttpResponse<String>> stream = sidecar.client().sendAsync(
                    HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                            .header("Content-Type", "application/json").header("x-llm-team", "payments")
                            .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(),
                    HttpResponse.BodyHandlers.ofString());

            // Past the TTL the reservation must still be held, with an expiry pushed beyond its first one.
            Thread.sleep(4500);
            List<String> held = RedisServer.bulkStrings(redis.command("ZRANGE " + prefix + "exp 0 -1 WITHSCORES"));
            assertEquals(2, held.size(), "one live reservation expected in " + held);
            long expiresAt = Long.parseLong(held.get(1));
            assertTrue(expiresAt > reservedAt + 3000 + 1000,
                       "the reservation was not renewed while /models hung: expires " + (expiresAt - reservedAt)
                       + " ms after it was made");

            HttpResponse<String> response = stream.get(20, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertTrue(response.body().endsWith("data: [DONE]\n\n"));
            // The app has the stream's end before the sidecar settles it (as with a JSON answer), so settling is
            // waited for: soon, while /models still hangs.
            long settleDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!redis.command("ZCARD " + prefix + "exp").substring(1).equals("0")
                   && System.nanoTime() < settleDeadline) {
                Thread.sleep(20);
            }
            assertEquals("0", redis.command("ZCARD " + prefix + "exp").substring(1), "settled, nothing held");
            String counter = RedisServer.bulkStrings(redis.command("KEYS " + prefix + "c:*")).getFirst();
            assertEquals(List.of("38"), RedisServer.bulkStrings(redis.command("HGET " + counter + " ut")), "exact usage");
            assertEquals(List.of("0"), RedisServer.bulkStrings(redis.command("HGET " + counter + " rt")), "nothing reserved");
            assertFalse(logs.lines().stream().anyMatch(l -> l.contains("Renewing budget reservations failed")));
        }
    }

    /** Waits until the sidecar's Redis connection is up (the admin API lists budgets), so the stream reserves. */
    private static void awaitBudgetStore(TestSidecar sidecar) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).statusCode()
               != 200) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the sidecar never connected to Redis");
            }
            Thread.sleep(100);
        }
    }
}
