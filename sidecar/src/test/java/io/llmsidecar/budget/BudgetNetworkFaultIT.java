package io.llmsidecar.budget;

import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.Toxiproxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

/**
 * The network between the sidecars and Redis fails, through a real fault-injecting proxy (Toxiproxy) rather than a
 * Redis that stops: answers that vanish, commands that arrive late. Afterwards the store holds exactly what the
 * gateway reported, for fail-open and fail-closed, for charges and releases ({@link StoreFaultScenario}).
 */
class BudgetNetworkFaultIT {
    private static final Duration FAULT = Duration.ofSeconds(4);
    private RedisServer redis;
    private Toxiproxy toxiproxy;
    private int proxied;

    @BeforeEach
    void start() {
        redis = RedisServer.startOwn();
        toxiproxy = Toxiproxy.start();
        proxied = toxiproxy.proxy("redis", redis.host(), redis.port());
    }

    /** Stops whatever started: when Toxiproxy cannot start, the Redis server started before it must not outlive the test. */
    @AfterEach
    void stop() {
        try {
            if (toxiproxy != null) {
                toxiproxy.close();
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    /**
     * Commands reach Redis and run, but their answers are swallowed (a blackhole on the way back) until the proxy
     * gives up and closes the connection: the reservations exist, their sidecars never learn it.
     */
    @Test
    void aBlackholeThatSwallowsRedisAnswersLeavesExactlyTheReportedUsage() throws Exception {
        run(toxic("blackhole", "timeout", "downstream", "{\"timeout\":2000}"));
    }

    /** Commands reach Redis 1.5 s late, long after their sidecars gave up on them, and then run. */
    @Test
    void addedLatencyThatDeliversCommandsAfterTheirTimeoutLeavesExactlyTheReportedUsage() throws Exception {
        run(toxic("slow", "latency", "upstream", "{\"latency\":1500}"));
    }

    private void run(StoreFaultScenario.Fault fault) throws Exception {
        try (StoreFaultScenario scenario = StoreFaultScenario.start("redis://127.0.0.1:" + proxied, Map.of())) {
            scenario.run(fault, FAULT);
        }
    }

    private StoreFaultScenario.Fault toxic(String name, String type, String stream, String attributes) {
        return new StoreFaultScenario.Fault() {
            @Override
            public void begin() {
                toxiproxy.addToxic("redis", name, type, stream, attributes);
            }

            @Override
            public void end() {
                toxiproxy.removeToxic("redis", name);
            }
        };
    }
}
