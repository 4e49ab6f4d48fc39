package io.llmsidecar.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.RedisCluster;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Budgets at scale-out on real deployments: two sidecars share one budget through a three-master Redis Cluster, and
 * through a Sentinel-managed master; usage is exact, nothing overshoots, and each request costs two round trips.
 */
class RedisClusterIT {
    private static final long BUDGET = 2000;
    private static final int REQUESTS = 120;
    private final List<AutoCloseable> open = new ArrayList<>();
    private StubUpstream upstream;
    private final String prefix = RedisServer.uniquePrefix();

    @BeforeEach
    void startUpstream() {
        upstream = StubUpstream.start();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        upstream.close();
    }

    @Test
    void twoSidecarsShareOneBudgetThroughARedisClusterExactlyAndInTwoRoundTrips() throws Exception {
        RedisCluster cluster = RedisCluster.startCluster();
        open.add(cluster);

        shareOneBudget(cluster, Map.of("budget-store.cluster", "true"));

        List<String> keys = cluster.keys(escapedPrefix() + "*");
        assertTrue(keys.stream().anyMatch(k -> k.startsWith(prefix + "c:team-daily:")), "counters are in the "
                                                                                          + "cluster: " + keys);
        long nodesWithKeys = cluster.ports().stream()
                .filter(p -> !RedisCluster.command(p, "KEYS " + escapedPrefix() + "*")
                        .equals("*0")).count();
        assertEquals(1, nodesWithKeys, "the hash tag keeps every key of the budgets on one node");
    }

    @Test
    void twoSidecarsShareOneBudgetThroughASentinelManagedMaster() throws Exception {
        RedisCluster sentinel = RedisCluster.startSentinel();
        open.add(sentinel);

        shareOneBudget(sentinel, Map.of());

        assertFalse(sentinel.keys(escapedPrefix() + "c:*").isEmpty());
    }

    @Test
    void aStoreNeverReachableSinceStartIsLoudAndNotReadyWhenFailingClosed() {
        TestSidecar sidecar = sidecar(BudgetIT.budget(BUDGET), Map.of(
                "budget-store.redis-uri", "redis://127.0.0.1:1", "budget-store.failure-mode", "fail-closed"));

        HttpResponse<String> refused = sidecar.chat(BudgetIT.SMALL, "x-llm-team", "payments");

        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("not been reachable since the sidecar started"), refused.body());
        HttpResponse<String> ready = sidecar.send(java.net.http.HttpRequest.newBuilder(
                sidecar.adminUrl("/health/ready")).GET().build());
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("redis://127.0.0.1:1"), ready.body());
        assertTrue(sidecar.metrics().contains("llm_sidecar_budget_store_connected 0.0"));
        assertEquals(0, upstream.requestCount(), "nothing forwarded");
    }

    private void shareOneBudget(RedisCluster redis, Map<String, String> extra) throws Exception {
        AtomicLong reported = usageResponder();
        Map<String, String> config = new HashMap<>(extra);
        config.put("budget-store.redis-uri", redis.uri());
        TestSidecar a = sidecar(BudgetIT.budget(BUDGET), config);
        TestSidecar b = sidecar(BudgetIT.budget(BUDGET), config);
        long before = commands(redis);
        long started = System.nanoTime();

        List<HttpResponse<String>> responses = BudgetIT.concurrently(REQUESTS, i -> i % 2 == 0 ? a : b);

        long ok = responses.stream().filter(r -> r.statusCode() == 200).count();
        long refused = responses.stream().filter(r -> r.statusCode() == 429
                                                      && r.body().contains("\"budget_exceeded\"")).count();
        assertEquals(REQUESTS, ok + refused, () -> "served or refused over budget, nothing else: "
                + responses.stream().filter(r -> r.statusCode() != 200 && r.statusCode() != 429)
                        .map(r -> r.statusCode() + " " + r.body()).distinct().toList());
        assertEquals(ok, upstream.requestCount(), "refused requests never reach the gateway");
        assertTrue(refused > 0, "the budget was contended");
        // Settlement runs after each response ends: wait for it by reading the nodes directly, because polling the
        // sidecar's admin API would run scripts of its own and blur the count (by how much depends on the machine's
        // speed, which once failed CI).
        awaitNothingHeld(redis);
        long calls = commands(redis) - before;
        long seconds = Math.max(1, (System.nanoTime() - started) / 1_000_000_000L);
        System.out.printf("%s: %d requests (%d served, %d refused), %d tokens used of %d, %d Redis scripts "
                          + "(%.2f per request) in %d s%n", redis.uri(), REQUESTS, ok, refused, reported.get(), BUDGET,
                          calls, (double) calls / REQUESTS, seconds);
        // One script before forwarding, one after; refusals only the first. The policy's view of the counters is
        // refreshed in the background, not per request: each sidecar reads its one counter when it first sees it and
        // again only once it is older than 2 s (StatusView.MAX_AGE_MILLIS), so at most one read per sidecar for each
        // second started (generous) beyond that.
        long backgroundReads = 2 * (1 + seconds);
        assertTrue(calls <= REQUESTS + ok + backgroundReads, "round trips: " + calls + " for " + REQUESTS
                                                             + " requests, " + ok + " served, in " + seconds + " s");

        JsonNode row = BudgetIT.settled(b);
        assertEquals(reported.get(), row.get("used_tokens").asLong(), "stored usage is the exact sum reported");
        assertTrue(reported.get() <= BUDGET, "admitted usage " + reported.get() + " within " + BUDGET);
        assertEquals(BudgetIT.settled(a).get("used_tokens"), row.get("used_tokens"));
        BudgetIT.assertNoFailOpen(a, b);
    }

    /** Waits until no counter of this test's prefix holds reserved tokens on any node. */
    private void awaitNothingHeld(RedisCluster redis) {
        String counters = escapedPrefix() + "c:*";
        BudgetIT.waitUntil(() -> redis.ports().stream().allMatch(port -> RedisCluster.keysOn(port, counters).stream()
                .allMatch(key -> heldTokens(port, key) == 0)), "every reservation settled in the store");
    }

    private static long heldTokens(int port, String counter) {
        String reply = RedisCluster.command(port, "HGET " + counter + " rt");
        if (reply.equals("$-1")) {
            return 0;
        }
        List<String> value = RedisServer.bulkStrings(reply);
        if (value.size() != 1) {
            throw new AssertionError("HGET " + counter + " rt answered " + reply);
        }
        return Long.parseLong(value.getFirst());
    }

    private String escapedPrefix() {
        return prefix.replace("{", "\\{").replace("}", "\\}");
    }

    TestSidecar sidecar(String yaml, Map<String, String> overrides) {
        Map<String, String> config = new HashMap<>(Map.of("budget-store.key-prefix", prefix,
                                                          "budget-store.command-timeout", "5s",
                                                          "server.access-log", "false"));
        config.putAll(overrides);
        TestSidecar sidecar = TestSidecar.start(upstream, yaml, config);
        open.add(sidecar);
        return sidecar;
    }

    /** Commands the data nodes have run, from {@code INFO commandstats} (the admin list calls included). */
    private static long commands(RedisCluster redis) {
        long total = 0;
        for (int port : redis.ports()) {
            for (String line : RedisCluster.command(port, "INFO commandstats").split("\r\n")) {
                if (line.startsWith("cmdstat_eval")) {
                    int at = line.indexOf("calls=") + 6;
                    total += Long.parseLong(line.substring(at, line.indexOf(',', at)));
                }
            }
        }
        return total;
    }

    AtomicLong usageResponder() {
        AtomicLong reported = new AtomicLong();
        AtomicInteger n = new AtomicInteger();
        upstream.otherwise((exchange, request) -> {
            int completion = 20 + n.getAndIncrement() % 21;
            reported.addAndGet(5 + completion);
            BudgetIT.sleep(Duration.ofMillis(10));
            StubUpstream.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                                   + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                   + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
                                   + "\"completion_tokens\":" + completion + "}}").respond(exchange, request);
        });
        return reported;
    }
}
