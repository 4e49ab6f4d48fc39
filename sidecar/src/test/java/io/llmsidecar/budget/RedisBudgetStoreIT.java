package io.llmsidecar.budget;

import io.llmsidecar.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store contract against a real Redis, plus what only Redis can do: lose its scripts, and outlive a client. */
class RedisBudgetStoreIT extends BudgetStoreContract {
    private static RedisServer redis;
    private static RedisConnector connector;
    private String prefix;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        connector = RedisConnector.create(config(redis.uri()));
    }

    @AfterAll
    static void stopRedis() {
        connector.close();
        redis.close();
    }

    @Override
    BudgetStore newStore() {
        return newStore(ExpiredReservations.CHARGE);
    }

    @Override
    BudgetStore newStore(ExpiredReservations mode) {
        prefix = RedisServer.uniquePrefix();
        return new RedisBudgetStore(connector, prefix, mode, n -> { });
    }

    @Test
    void talksToRedisOverNettysNativeEpollTransportOnLinux() {
        String arch = System.getProperty("os.arch");
        assertTrue(arch.equals("amd64") || arch.equals("aarch64"), "the jar carries epoll for x86-64 and aarch64");
        assertTrue(store.describe().endsWith(" over native epoll"), store.describe());
    }

    @Test
    void reloadsItsScriptsAfterRedisForgetsThem() {
        store.reserve("r1", List.of(charge(payments, 10, 0)), now + 60_000, now);

        assertEquals("+OK", redis.command("SCRIPT FLUSH"));

        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r2", List.of(charge(payments, 10, 0)), now + 60_000, now));
    }

    @Test
    void loadsItsScriptsWhenItConnectsSoNoRequestHasToSendOneInFull() {
        assertEquals("+OK", redis.command("SCRIPT FLUSH"));
        assertEquals("+OK", redis.command("CONFIG RESETSTAT"));
        BudgetStore connected = newStore();
        try {
            assertInstanceOf(ReserveResult.Reserved.class,
                             connected.reserve("r1", List.of(charge(payments, 10, 0)), now + 60_000, now));
        } finally {
            connected.close();
        }

        String stats = redis.command("INFO commandstats");
        assertTrue(stats.contains("cmdstat_evalsha:calls=1,"), stats);
        assertTrue(stats.contains("failed_calls=0") && !stats.contains("cmdstat_eval:"), "no NOSCRIPT, no EVAL: "
                                                                                          + stats);
    }

    @Test
    void aCrashedSidecarsReservationIsReleasedAfterItsTtlForEveryoneWhenConfiguredTo() throws Exception {
        store.close();
        store = newStore(ExpiredReservations.RELEASE);
        BudgetStore crashed = new RedisBudgetStore(connector, prefix, ExpiredReservations.RELEASE, n -> { });
        crashed.reserve("crashed", List.of(charge(payments, 1000, 0)), System.currentTimeMillis() + 300,
                        System.currentTimeMillis());
        crashed.close();
        assertInstanceOf(ReserveResult.Exceeded.class,
                         store.reserve("r2", List.of(charge(payments, 1, 0)), now + 60_000,
                                       System.currentTimeMillis()));

        Thread.sleep(400);

        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r3", List.of(charge(payments, 1000, 0)), System.currentTimeMillis() + 60_000,
                                       System.currentTimeMillis()));
    }

    @Test
    void anExpiredReservationIsEndedAsTheSidecarThatTookItChose() throws Exception {
        BudgetStore releasing = new RedisBudgetStore(connector, prefix, ExpiredReservations.RELEASE, n -> { });
        long t = System.currentTimeMillis();
        releasing.reserve("crashed", List.of(charge(payments, 900, 0)), t + 200, t);
        releasing.close();

        Thread.sleep(300);
        ReserveResult r = store.reserve("r2", List.of(charge(payments, 900, 0)), System.currentTimeMillis() + 60_000,
                                        System.currentTimeMillis());

        assertEquals(List.of(new CounterState(payments, 0, 900, 0, 0)),
                     assertInstanceOf(ReserveResult.Reserved.class, r).states(),
                     "released, though this store would have charged it");
    }

    @Test
    void keysCarryTheHashTagAndExpire() {
        store.reserve("r1", List.of(charge(payments, 10, 0)), now + 60_000, now);

        String keys = redis.command("KEYS " + prefix.replace("{", "\\{").replace("}", "\\}") + "*");
        assertTrue(keys.contains(prefix + "c:team-daily:"), keys);
        String ttl = redis.command("TTL " + prefix + "c:" + payments.id());
        long seconds = Long.parseLong(ttl.substring(1));
        assertTrue(seconds > Duration.ofDays(1).toSeconds() && seconds <= Duration.ofDays(2).toSeconds(),
                   "a day counter lives until a day after its window: " + ttl);
    }

    static BudgetStoreConfig config(String uri) {
        return new BudgetStoreConfig(Optional.of(uri), false, FailureMode.FAIL_OPEN, Duration.ofMinutes(2),
                                     Duration.ofSeconds(2), Duration.ofSeconds(10), "unused:",
                                     ExpiredReservations.CHARGE, Optional.empty(), Duration.ofSeconds(30));
    }
}
