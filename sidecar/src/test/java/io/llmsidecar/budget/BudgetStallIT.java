package io.llmsidecar.budget;

import io.llmsidecar.testing.RedisCluster;
import io.llmsidecar.testing.RedisServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

/**
 * A Redis that hangs instead of failing (issue 18): frozen with {@code kill -STOP} while a burst of requests arrives,
 * then let go with {@code kill -CONT}, when it runs every command that queued up, long after the sidecars gave up on
 * them. Late reservations must not outlive the requests that made them: afterwards the store holds exactly what the
 * gateway reported, for fail-open and fail-closed, for charges and releases ({@link StoreFaultScenario}).
 */
class BudgetStallIT {
    private static final Duration FROZEN = Duration.ofSeconds(4);

    @Test
    void aRedisFrozenMidBurstHoldsExactlyTheReportedUsageOnceItRunsAgain() throws Exception {
        try (RedisServer redis = RedisServer.startOwn();
             StoreFaultScenario scenario = StoreFaultScenario.start(redis.uri(), Map.of())) {
            scenario.run(new StoreFaultScenario.Fault() {
                @Override
                public void begin() {
                    redis.pause();
                }

                @Override
                public void end() {
                    redis.resume();
                }
            }, FROZEN);
        }
    }

    @Test
    void aClusterMasterFrozenMidBurstHoldsExactlyTheReportedUsageOnceItRunsAgain() throws Exception {
        try (RedisCluster cluster = RedisCluster.startCluster();
             StoreFaultScenario scenario = StoreFaultScenario.start(cluster.uri(),
                                                                    Map.of("budget-store.cluster", "true"))) {
            // Every key prefix of the tests carries the hash tag {b}: one master holds both sidecars' budgets.
            int master = cluster.masterOf("{b}");
            scenario.run(new StoreFaultScenario.Fault() {
                @Override
                public void begin() {
                    cluster.pause(master);
                }

                @Override
                public void end() {
                    cluster.resume(master);
                }
            }, FROZEN);
        }
    }
}
