package io.llmsidecar.budget;

import io.llmsidecar.metrics.SidecarMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the replay ledger keeps while the store is unreachable, and what its file holds across a restart. */
class ReplayLedgerTest {
    private static final Budget DAILY = new Budget("team-daily", List.of(Scope.TEAM), Window.DAY,
                                                   OptionalLong.of(100_000), OptionalLong.of(100_000_000));
    private static final Budget MONTHLY = new Budget("user-monthly", List.of(Scope.USER), Window.MONTH,
                                                     OptionalLong.empty(), OptionalLong.of(100_000_000));
    private static final Instant NOW = Instant.parse("2026-03-10T22:30:00Z");
    private static final Counter PAYMENTS = Counter.of(DAILY, "team=payments", NOW);
    private static final Counter SEARCH = Counter.of(DAILY, "team=search", NOW);
    private final AtomicInteger nextId = new AtomicInteger();
    private final Supplier<String> ids = () -> "sealed-" + nextId.incrementAndGet();

    @Test
    void sumsUnsentUsagePerCounterAndSealsItUnderOneIdUntilItIsDone() {
        ReplayLedger ledger = ReplayLedger.inMemory(ids);
        ledger.sum(List.of(new Charge(PAYMENTS, 10, 100)));
        ledger.sum(List.of(new Charge(PAYMENTS, 20, 200), new Charge(SEARCH, 5, 50)));

        List<ReplayLedger.Pending> first = ledger.pending();
        ledger.sum(List.of(new Charge(PAYMENTS, 1, 1)));
        List<ReplayLedger.Pending> second = ledger.pending();

        assertEquals(List.of(new ReplayLedger.Pending("sealed-1", List.of(new Charge(PAYMENTS, 30, 300),
                                                                          new Charge(SEARCH, 5, 50)), false, 2)),
                     first);
        assertEquals(List.of(first.getFirst(), new ReplayLedger.Pending("sealed-2", List.of(new Charge(PAYMENTS, 1, 1)),
                                                                         false, 1)),
                     second, "a sealed sum is retried under the same id; later usage gets its own");
        assertEquals(3, ledger.requests());
        ledger.done(second.getFirst());
        ledger.done(second.get(1));
        assertTrue(ledger.isEmpty());
        assertEquals(0, ledger.requests());
    }

    @Test
    void keepsFailedSettlementsUnderTheirOwnIdsOldestFirst() {
        ReplayLedger ledger = ReplayLedger.inMemory(ids);
        ledger.keep("b", List.of(new Charge(PAYMENTS, 10, 100)), true);
        ledger.keep("a", List.of(new Charge(PAYMENTS, 0, 0)), false);

        assertEquals(List.of(new ReplayLedger.Pending("b", List.of(new Charge(PAYMENTS, 10, 100)), true, 1),
                             new ReplayLedger.Pending("a", List.of(new Charge(PAYMENTS, 0, 0)), false, 1)),
                     ledger.pending(), "zero usage is kept too: it cancels a reservation that ran unseen");
        assertEquals("memory", ledger.where());
    }

    @Test
    void aFileKeepsWhatIsNotReplayedYetAcrossARestartAndIsEmptiedWhenAllIs(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ledger");
        ReplayLedger first = ReplayLedger.open(ids, file, List.of(DAILY));
        first.keep("k", List.of(new Charge(PAYMENTS, 10, 100)), true);
        first.sum(List.of(new Charge(SEARCH, 5, 50)));
        first.sum(List.of(new Charge(SEARCH, 6, 60)));
        assertTrue(Files.readString(file).startsWith("V\t1\nK\tk\t1\t1\t"), "the version goes with the first entry");
        // killed: no close

        ReplayLedger second = ReplayLedger.open(ids, file, List.of(DAILY));

        assertEquals(3, second.requests());
        List<ReplayLedger.Pending> pending = second.pending();
        assertEquals(List.of(new ReplayLedger.Pending("k", List.of(new Charge(PAYMENTS, 10, 100)), true, 1),
                             new ReplayLedger.Pending("sealed-1", List.of(new Charge(SEARCH, 11, 110)), false, 2)),
                     pending, "summed usage of the earlier process stays summed, sealed under a new id");
        second.done(pending.getFirst());
        assertTrue(Files.readString(file).endsWith("\nD\tk\n"), "done is on disk: " + Files.readString(file));
        second.done(pending.get(1));
        assertEquals(0, Files.size(file));
        second.keep("later", List.of(new Charge(PAYMENTS, 1, 1)), false);
        assertTrue(Files.readString(file).startsWith("V\t1\nK\tlater\t"), Files.readString(file));
        second.close();
    }

    @Test
    void ignoresALineCutShortByACrashAndKeepsTheRest(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ledger");
        ReplayLedger first = ReplayLedger.open(ids, file, List.of(DAILY));
        first.keep("k", List.of(new Charge(PAYMENTS, 10, 100)), true);
        first.close();
        Files.writeString(file, Files.readString(file) + "K\tcut\t1\t1\tteam-daily\t1773100800\tteam=payments\t10\t1");

        ReplayLedger second = ReplayLedger.open(ids, file, List.of(DAILY));

        assertEquals(List.of(new ReplayLedger.Pending("k", List.of(new Charge(PAYMENTS, 10, 100)), true, 1)),
                     second.pending());
        assertEquals("V\t1\nK\tk\t1\t1\tteam-daily\t1773100800\tteam=payments\t10\t100\n", Files.readString(file),
                     "rewritten without it");
    }

    @Test
    void refusesToStartOnAFileOfAnUnknownVersionAndLeavesItAsItIs(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ledger");
        String newer = "V\t2\nZ\tsomething new\n";
        Files.writeString(file, newer);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                                               () -> ReplayLedger.open(ids, file, List.of(DAILY)));

        assertTrue(e.getMessage().contains(file + " (budget-store.ledger-file): its lines are in format version 2"),
                   e.getMessage());
        assertTrue(e.getMessage().contains("SIDECAR_BUDGET_LEDGER_FILE"), e.getMessage());
        assertEquals(newer, Files.readString(file));
    }

    /**
     * {@code ledger-unversioned} was written by the sidecar before the ledger format moved out of ReplayLedger (and
     * got its version line), through BudgetService over a store that went down, lost answers and came back part way:
     * sums (U), failed settlements in and out of the store (K, one of zero usage cancelling a reservation that ran
     * unseen), sums sealed during failed replays (G), two replayed (D), and a sum after that. Replaying it with that
     * code into an empty store gave 520 tokens and 640 nano-USD on both counters, nothing reserved, 5 requests.
     */
    @Test
    void replaysALedgerFileWrittenByThePreviousVersion(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ledger");
        Files.write(file, LedgerFormatTest.fixture("ledger-unversioned"));
        Counter team = Counter.of(DAILY, "team=pay%2Cments", NOW);
        Counter user = Counter.of(MONTHLY, "user=al%3Dice", NOW);
        FlakyStore store = new FlakyStore();
        // The reservation that ran unseen; its zero settlement in the ledger releases it.
        String unseen = "d205e2449c8e71d7a8fe74d650e50fff";
        store.reserve(unseen, List.of(new Charge(team, 200, 300), new Charge(user, 200, 300)),
                      NOW.plus(Duration.ofMinutes(2)).toEpochMilli(), NOW.toEpochMilli());
        assertEquals(200, store.read(List.of(team)).getFirst().reservedTokens());
        SidecarMetrics metrics = new SidecarMetrics("test");
        BudgetStoreConfig storeConfig = new BudgetStoreConfig(Optional.empty(), false, FailureMode.FAIL_OPEN,
                                                              Duration.ofMinutes(2), Duration.ofMillis(500),
                                                              Duration.ofSeconds(2), "p:", ExpiredReservations.CHARGE,
                                                              Optional.of(file), Duration.ofSeconds(30));
        Budgets budgets = Budgets.of(new BudgetsConfig(List.of(DAILY, MONTHLY), List.of(), storeConfig), store, metrics,
                                     Clock.fixed(NOW, ZoneOffset.UTC));
        assertTrue(Files.readString(file).startsWith("V\t1\nK\td205e2449c8e71d7a8fe74d650e50fff\t0\t1\t"),
                   "rewritten compactly in the current version at start");

        budgets.replayer().replay();

        assertEquals(List.of(new CounterState(team, 520, 0, 640, 0), new CounterState(user, 520, 0, 640, 0)),
                     store.read(List.of(team, user)));
        assertEquals(0, Files.size(file));
        assertTrue(scrape(metrics).contains("llm_sidecar_budget_replayed_total 5.0"));
        budgets.replayer().replay();
        assertEquals(List.of(new CounterState(team, 520, 0, 640, 0), new CounterState(user, 520, 0, 640, 0)),
                     store.read(List.of(team, user)), "once");
    }

    private static String scrape(SidecarMetrics metrics) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        metrics.scrape(metrics.contentType(""), out);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
