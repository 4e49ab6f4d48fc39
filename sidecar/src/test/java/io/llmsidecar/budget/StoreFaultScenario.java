package io.llmsidecar.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static io.llmsidecar.budget.BudgetIT.budget;
import static io.llmsidecar.budget.BudgetIT.row;
import static io.llmsidecar.budget.BudgetIT.sleep;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact-accounting invariant under a fault of the budget store (issue 18): two sidecars share one store under
 * their own key prefixes, one fail-open and one fail-closed; each serves team {@code served} (the stub gateway
 * answers with usage: a charge) and team {@code refused} (the gateway answers 500: a release). Requests go before,
 * during and after the fault; once the reservation TTL has passed the store must hold, for every counter, exactly the
 * usage the gateway reported, and nothing reserved.
 */
final class StoreFaultScenario implements AutoCloseable {
    static final Duration TTL = Duration.ofSeconds(2);
    static final List<String> MODES = List.of("fail-open", "fail-closed");
    private static final List<String> TEAMS = List.of("served", "refused");

    /** What breaks the store, and mends it. */
    interface Fault {
        void begin();

        void end();
    }

    private final StubUpstream upstream = StubUpstream.start();
    private final Map<String, TestSidecar> sidecars = new LinkedHashMap<>();
    private final Map<String, AtomicLong> reported = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();

    private StoreFaultScenario() {
    }

    /** Both sidecars on the store at {@code redisUri}, with {@code config} on top (e.g. the Cluster switch). */
    static StoreFaultScenario start(String redisUri, Map<String, String> config) {
        StoreFaultScenario s = new StoreFaultScenario();
        s.upstream.otherwise((exchange, request) -> {
            String body = request.bodyText();
            String mode = body.contains("fail-open") ? "fail-open" : "fail-closed";
            if (body.contains("refused")) {
                StubUpstream.json(500, "{\"error\":{\"message\":\"upstream failed\",\"type\":\"server_error\"}}")
                        .respond(exchange, request);
                return;
            }
            long completion = 20 + Math.floorMod(body.hashCode(), 21);
            s.reported.computeIfAbsent(mode + "/served", k -> new AtomicLong()).addAndGet(5 + completion);
            StubUpstream.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                                   + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                                   + "\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
                                   + "\"completion_tokens\":" + completion + ",\"total_tokens\":" + (5 + completion)
                                   + "}}").respond(exchange, request);
        });
        for (String mode : MODES) {
            Map<String, String> c = new HashMap<>(Map.of(
                    "budget-store.redis-uri", redisUri,
                    "budget-store.key-prefix", RedisServer.uniquePrefix(),
                    "budget-store.failure-mode", mode,
                    "budget-store.reservation-ttl", TTL.toMillis() + "ms",
                    "budget-store.command-timeout", "500ms",
                    "server.access-log", "false"));
            c.putAll(config);
            s.sidecars.put(mode, TestSidecar.start(s.upstream, budget(1_000_000), c));
        }
        return s;
    }

    /**
     * Traffic before the fault, a concurrent burst that arrives while it lasts {@code length}, traffic after it; then
     * waits out the reservation TTL and asserts the invariant.
     */
    void run(Fault fault, Duration length) throws Exception {
        sequential(5, "before");
        fault.begin();
        long began = System.nanoTime();
        List<Future<?>> burst = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10; i++) {
                int n = i;
                for (String mode : MODES) {
                    for (String team : TEAMS) {
                        burst.add(pool.submit(() -> {
                            // Spread over the first half of the fault: some arrive as it begins, some deep into it.
                            sleep(Duration.ofMillis(n * length.toMillis() / 20));
                            return send(mode, team, "during " + n);
                        }));
                    }
                }
            }
            pause(length.minusNanos(System.nanoTime() - began));
            fault.end();
            for (Future<?> f : burst) {
                f.get();
            }
        }
        sequential(5, "after");
        long ended = System.nanoTime();
        assertTrue(sidecars.get("fail-open").metrics().matches("(?s).*llm_sidecar_fail_open_admissions_total [1-9].*"),
                   "the fault was felt: the fail-open sidecar admitted without the store; " + statuses);
        assertTrue(statuses.getOrDefault(503, new AtomicLong()).get() > 0,
                   "the fault was felt: the fail-closed sidecar refused; " + statuses);
        pause(TTL.plusMillis(1000).minusNanos(System.nanoTime() - ended));
        assertExact();
    }

    /** Every counter holds what the gateway reported and nothing reserved, and stays so. */
    private void assertExact() {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Map<String, String> wrong = counters();
        while (!wrong.isEmpty() && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(200));
            wrong = counters();
        }
        assertTrue(wrong.isEmpty(), "after the TTL, counters that differ from what the gateway reported: " + wrong
                                    + "; responses by status: " + statuses);
        // Expiry has run: nothing reserved is left to be charged later, and the replay is done.
        sleep(TTL.plusMillis(500));
        wrong = counters();
        assertTrue(wrong.isEmpty(), "later, counters that differ: " + wrong);
    }

    /** The counters that break the invariant, with what they hold against what the gateway reported. */
    private Map<String, String> counters() {
        Map<String, String> wrong = new LinkedHashMap<>();
        for (String mode : MODES) {
            for (String team : TEAMS) {
                JsonNode r = row(sidecars.get(mode), "team-daily", "team=" + team);
                long expected = reported.getOrDefault(mode + "/" + team, new AtomicLong()).get();
                long used = r.get("used_tokens").asLong();
                long reserved = r.get("reserved_tokens").asLong();
                if (used != expected || reserved != 0) {
                    wrong.put(mode + "/" + team, "used " + used + " for " + expected + " reported, " + reserved
                                                 + " reserved");
                }
            }
        }
        return wrong;
    }

    private static void pause(Duration d) {
        if (d.isPositive()) {
            sleep(d);
        }
    }

    private void sequential(int count, String phase) {
        for (int i = 0; i < count; i++) {
            for (String mode : MODES) {
                for (String team : TEAMS) {
                    send(mode, team, phase + " " + i);
                }
            }
        }
    }

    private int send(String mode, String team, String note) {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":40,\"messages\":[{\"role\":\"user\",\"content\":"
                      + "\"" + team + " by " + mode + ", " + note + "\"}]}";
        HttpResponse<String> response = sidecars.get(mode).chat(body, "x-llm-team", team);
        statuses.computeIfAbsent(response.statusCode(), k -> new AtomicLong()).incrementAndGet();
        return response.statusCode();
    }

    @Override
    public void close() {
        sidecars.values().forEach(TestSidecar::close);
        upstream.close();
    }
}
