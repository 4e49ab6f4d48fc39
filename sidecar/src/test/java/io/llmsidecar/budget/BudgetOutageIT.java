package io.llmsidecar.budget;

import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.llmsidecar.budget.BudgetIT.SMALL;
import static io.llmsidecar.budget.BudgetIT.budget;
import static io.llmsidecar.budget.BudgetIT.read;
import static io.llmsidecar.budget.BudgetIT.waitFor;
import static io.llmsidecar.budget.BudgetIT.waitUntil;
import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Redis going away and coming back, with a Redis of the test's own that it stops and restarts. */
class BudgetOutageIT {
    private final List<AutoCloseable> open = new ArrayList<>();
    private LogCapture logs;
    private RedisServer redis;
    private StubUpstream upstream;

    @BeforeEach
    void start() {
        logs = LogCapture.start();
        redis = RedisServer.startOwn();
        upstream = StubUpstream.start().otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        upstream.close();
        redis.close();
        logs.close();
    }

    @Test
    void failOpenAdmitsDuringAnOutageAndReplaysEveryTokenWhenRedisIsBack() {
        TestSidecar sidecar = sidecar(redis.uri(), "fail-open");
        assertEquals(200, chat(sidecar));
        assertEquals(200, chat(sidecar));
        waitFor(sidecar, r -> r.get("used_tokens").asLong() == 2 * 260);

        redis.stop();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, chat(sidecar), "admitted while Redis is down");
        }
        assertTrue(sidecar.metrics().contains("llm_sidecar_fail_open_admissions_total 3.0"), sidecar.metrics());
        assertTrue(sidecar.metrics().contains("llm_sidecar_budget_store_up 0.0"));
        redis.restart();

        waitUntil(() -> sidecar.metrics().contains("llm_sidecar_budget_replayed_total 3.0"), "the usage is replayed");
        assertEquals(5 * 260, waitFor(sidecar, r -> r.get("reserved_tokens").asLong() == 0).get("used_tokens")
                             .asLong(), "two requests before, three during the outage: nothing lost, nothing twice");
        assertTrue(logs.all().contains("is unreachable"), "the outage is logged");
        assertTrue(logs.all().contains("Replayed the usage of 3 requests"), "the replay is logged");
    }

    @Test
    void failClosedRefusesWith503UntilRedisIsBack() {
        TestSidecar sidecar = sidecar(redis.uri(), "fail-closed");
        assertEquals(200, chat(sidecar));
        redis.stop();

        HttpResponse<String> refused = sidecar.chat(SMALL, "x-llm-team", "payments");

        assertEquals(503, refused.statusCode());
        assertEquals("budget_backend_unavailable", read(refused.body()).get("error").get("code").asText());
        assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(sidecar.metrics().contains("llm_sidecar_budget_store_errors_total{operation=\"reserve\",}"));
        redis.restart();
        waitUntil(() -> chat(sidecar) == 200, "Redis is back");
        waitFor(sidecar, r -> r.get("used_tokens").asLong() == 2 * 260);
    }

    @Test
    void startsWithRedisDownInFailOpenModeAndNeverLogsItsPassword() throws Exception {
        int closedPort = Project.freePort();
        TestSidecar sidecar = sidecar("redis://:hunter2-redis@127.0.0.1:" + closedPort, "fail-open");

        assertEquals(200, chat(sidecar));
        assertTrue(sidecar.metrics().contains("llm_sidecar_fail_open_admissions_total 1.0"));
        assertFalse(logs.all().contains("hunter2-redis"), "the Redis password stays out of the logs");
        assertTrue(logs.all().contains("has not been reachable since the sidecar started"), "a store that never "
                                                                                            + "answered is loud");
        assertTrue(logs.all().contains("redis://<redacted>@127.0.0.1:" + closedPort), "naming the URI");
        assertTrue(sidecar.metrics().contains("llm_sidecar_budget_store_connected 0.0"));
    }

    private TestSidecar sidecar(String uri, String mode) {
        Map<String, String> config = new HashMap<>(Map.of("budget-store.redis-uri", uri,
                                                          "budget-store.failure-mode", mode));
        TestSidecar sidecar = TestSidecar.start(upstream, budget(1_000_000), config);
        open.add(sidecar);
        return sidecar;
    }

    private static int chat(TestSidecar sidecar) {
        return sidecar.chat(SMALL, "x-llm-team", "payments").statusCode();
    }
}
