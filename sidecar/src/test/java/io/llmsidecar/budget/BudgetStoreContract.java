package io.llmsidecar.budget;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link BudgetStore} must have, run against each one (Bucket4j's habit): subclasses only say how
 * to make a fresh, empty store.
 */
abstract class BudgetStoreContract {
    static final Budget TOKENS = new Budget("team-daily", List.of(Scope.TEAM), Window.DAY, OptionalLong.of(1000),
                                            OptionalLong.empty());
    static final Budget USD = new Budget("team-usd", List.of(Scope.TEAM), Window.MONTH, OptionalLong.empty(),
                                         OptionalLong.of(5_000));
    static final Budget HOURLY = new Budget("user-hourly", List.of(Scope.USER), Window.HOUR, OptionalLong.of(300),
                                            OptionalLong.empty());
    private static final long TTL = Duration.ofMinutes(2).toMillis();

    BudgetStore store;
    final long now = System.currentTimeMillis();
    final Instant at = Instant.ofEpochMilli(now);
    final Counter payments = Counter.of(TOKENS, "team=payments", at);
    final Counter search = Counter.of(TOKENS, "team=search", at);
    final Counter paymentsUsd = Counter.of(USD, "team=payments", at);
    final Counter alice = Counter.of(HOURLY, "user=alice", at);

    /** A fresh, empty store that charges expired reservations (the default). */
    abstract BudgetStore newStore();

    /** A fresh, empty store that treats expired reservations as {@code mode} says. */
    abstract BudgetStore newStore(ExpiredReservations mode);

    @BeforeEach
    void open() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void reservesWithinTheLimitAndReportsTheCounters() {
        ReserveResult r = store.reserve("r1", List.of(charge(payments, 250, 0), charge(alice, 250, 0)), now + TTL,
                                        now);

        ReserveResult.Reserved reserved = assertInstanceOf(ReserveResult.Reserved.class, r);
        assertEquals(List.of(new CounterState(payments, 0, 250, 0, 0), new CounterState(alice, 0, 250, 0, 0)),
                     reserved.states());
    }

    @Test
    void rejectsWhenBudgetExhaustedAndHoldsNothingAnywhere() {
        store.reserve("r1", List.of(charge(alice, 250, 0)), now + TTL, now);

        ReserveResult r = store.reserve("r2", List.of(charge(payments, 100, 0), charge(alice, 100, 0)), now + TTL,
                                        now);

        ReserveResult.Exceeded exceeded = assertInstanceOf(ReserveResult.Exceeded.class, r);
        assertEquals(1, exceeded.index());
        assertEquals(new CounterState(alice, 0, 250, 0, 0), exceeded.exceeded());
        assertEquals(List.of(CounterState.empty(payments), new CounterState(alice, 0, 250, 0, 0)),
                     store.read(List.of(payments, alice)), "all or nothing: the budget that fitted holds nothing");
    }

    @Test
    void admitsUpToExactlyTheLimit() {
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r1", List.of(charge(payments, 999, 0)), now + TTL, now));
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r2", List.of(charge(payments, 1, 0)), now + TTL, now));
        assertInstanceOf(ReserveResult.Exceeded.class,
                         store.reserve("r3", List.of(charge(payments, 1, 0)), now + TTL, now));
    }

    @Test
    void checksUsdLimitsLikeTokenLimits() {
        store.reserve("r1", List.of(charge(paymentsUsd, 10, 4_000)), now + TTL, now);

        assertInstanceOf(ReserveResult.Exceeded.class,
                         store.reserve("r2", List.of(charge(paymentsUsd, 10, 1_001)), now + TTL, now));
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r3", List.of(charge(paymentsUsd, 1_000_000, 1_000)), now + TTL, now),
                         "a USD-only budget does not limit tokens");
    }

    @Test
    void settleReplacesTheReservationWithTheUsage() {
        store.reserve("r1", List.of(charge(payments, 250, 70), charge(alice, 250, 70)), now + TTL, now);

        List<CounterState> states = store.settle("r1", List.of(charge(payments, 123, 45), charge(alice, 123, 45)),
                                                 true, now);

        assertEquals(List.of(new CounterState(payments, 123, 0, 45, 0), new CounterState(alice, 123, 0, 45, 0)),
                     states);
    }

    @Test
    void settlingTwiceCountsOnce() {
        store.reserve("r1", List.of(charge(payments, 400, 0)), now + TTL, now);
        store.settle("r1", List.of(charge(payments, 123, 0)), true, now);

        List<CounterState> again = store.settle("r1", List.of(charge(payments, 123, 0)), true, now);

        assertEquals(List.of(new CounterState(payments, 123, 0, 0, 0)), again);
    }

    @Test
    void settlingWithoutUsageReleasesTheReservation() {
        store.reserve("r1", List.of(charge(payments, 1000, 0)), now + TTL, now);

        store.settle("r1", List.of(charge(payments, 0, 0)), true, now);

        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r2", List.of(charge(payments, 1000, 0)), now + TTL, now));
    }

    @Test
    void releasesAnExpiredReservationOnTheNextCallWhenConfiguredTo() {
        store.close();
        store = newStore(ExpiredReservations.RELEASE);
        store.reserve("crashed", List.of(charge(payments, 900, 0)), now + 100, now);
        assertInstanceOf(ReserveResult.Exceeded.class,
                         store.reserve("r2", List.of(charge(payments, 900, 0)), now + TTL, now + 99));

        ReserveResult later = store.reserve("r3", List.of(charge(payments, 900, 0)), now + 200 + TTL, now + 200);

        assertEquals(List.of(new CounterState(payments, 0, 900, 0, 0)), assertInstanceOf(
                ReserveResult.Reserved.class, later).states());
    }

    @Test
    void lateSettlementOfAnExpiredReservationCountsItsUsageOnceAndFreesNothingTwice() {
        store.close();
        store = newStore(ExpiredReservations.RELEASE);
        store.reserve("slow", List.of(charge(payments, 500, 0)), now + 100, now);
        store.reserve("r2", List.of(charge(payments, 400, 0)), now + 200 + TTL, now + 200);

        store.settle("slow", List.of(charge(payments, 300, 0)), true, now + 300);
        List<CounterState> again = store.settle("slow", List.of(charge(payments, 300, 0)), true, now + 300);

        assertEquals(List.of(new CounterState(payments, 300, 400, 0, 0)), again);
    }

    @Test
    void chargesAnExpiredReservationWhatItHeldByDefault() {
        store.reserve("crashed", List.of(charge(payments, 900, 70)), now + 100, now);

        ReserveResult later = store.reserve("r2", List.of(charge(payments, 200, 0)), now + 200 + TTL, now + 200);

        assertEquals(List.of(new CounterState(payments, 900, 0, 70, 0)),
                     assertInstanceOf(ReserveResult.Exceeded.class, later).states(),
                     "the gateway may have served it: billed as used, never released");
    }

    @Test
    void lateSettlementOfAChargedReservationReplacesTheChargeWithTheUsageOnce() {
        store.reserve("slow", List.of(charge(payments, 500, 50)), now + 100, now);
        store.reserve("r2", List.of(charge(payments, 400, 0)), now + 200 + TTL, now + 200);

        store.settle("slow", List.of(charge(payments, 300, 30)), true, now + 300);
        List<CounterState> again = store.settle("slow", List.of(charge(payments, 300, 30)), true, now + 300);

        assertEquals(List.of(new CounterState(payments, 300, 400, 30, 0)), again);
    }

    @Test
    void rateLimitsTakeEveryBucketOrNone() {
        RateLimit limit = new RateLimit("rpm-" + now, List.of(Scope.TEAM), 2, OptionalLong.of(100));
        RateTake request = new RateTake(limit, "team=payments", RateTake.Unit.REQUESTS, 1);
        RateTake tokens = new RateTake(limit, "team=payments", RateTake.Unit.TOKENS, 60);

        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r1", List.of(charge(payments, 10, 0)), List.of(request, tokens), now + TTL,
                                       now));
        ReserveResult.RateLimited short1 = assertInstanceOf(
                ReserveResult.RateLimited.class,
                store.reserve("r2", List.of(charge(payments, 10, 0)), List.of(request, tokens), now + TTL, now));
        assertEquals(1, short1.index(), "the tokens bucket is short");
        assertTrue(short1.waitNanos() > 0);
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r3", List.of(), List.of(request, tokens.withAmount(30)), now + TTL, now),
                         "the refused request took nothing from the requests bucket");
        ReserveResult.RateLimited short2 = assertInstanceOf(
                ReserveResult.RateLimited.class,
                store.reserve("r4", List.of(charge(payments, 10, 0)), List.of(request), now + TTL, now));
        assertEquals(0, short2.index(), "two requests per minute");
        assertEquals(List.of(new CounterState(payments, 0, 10, 0, 0)), short2.states(), "r2 and r4 hold nothing");
    }

    @Test
    void aCompletionOverdrawsTheTokensBucketSoTheNextRequestWaits() {
        RateLimit limit = new RateLimit("tpm-" + now, List.of(Scope.TEAM), 100, OptionalLong.of(1000));
        RateTake tokens = new RateTake(limit, "team=payments", RateTake.Unit.TOKENS, 10);
        store.reserve("r1", List.of(), List.of(tokens), now + TTL, now);

        store.settle("r1", List.of(), List.of(tokens.withAmount(5000)), true, now);

        assertInstanceOf(ReserveResult.RateLimited.class,
                         store.reserve("r2", List.of(), List.of(tokens.withAmount(1)), now + TTL, now));
    }

    @Test
    void renewedReservationOutlivesItsFirstExpiry() {
        store.reserve("stream", List.of(charge(payments, 900, 0)), now + 100, now);

        store.renew(List.of("stream", "unknown"), now + 10_000);

        assertInstanceOf(ReserveResult.Exceeded.class,
                         store.reserve("r2", List.of(charge(payments, 900, 0)), now + TTL, now + 5_000));
    }

    @Test
    void usageAdmittedWithoutReservationCountsOnceUnderItsId() {
        store.settle("outage-1", List.of(charge(payments, 50, 5)), false, now);

        List<CounterState> again = store.settle("outage-1", List.of(charge(payments, 50, 5)), false, now);

        assertEquals(List.of(new CounterState(payments, 50, 0, 5, 0)), again);
    }

    @Test
    void aReservationItsCallerTookForFailedIsSettledOnceByTheReplay() {
        store.reserve("timed-out", List.of(charge(payments, 500, 0)), now + TTL, now);

        store.settle("timed-out", List.of(charge(payments, 40, 4)), false, now);
        List<CounterState> again = store.settle("timed-out", List.of(charge(payments, 40, 4)), false, now);

        assertEquals(List.of(new CounterState(payments, 40, 0, 4, 0)), again);
    }

    @Test
    void aReservationThatRunsAfterItsDeadlineHoldsNothingAndTakesNoRateLimit() {
        RateLimit limit = new RateLimit("late-" + now, List.of(Scope.TEAM), 1, OptionalLong.empty());
        RateTake request = new RateTake(limit, "team=payments", RateTake.Unit.REQUESTS, 1);

        ReserveResult late = store.reserve("given-up", List.of(charge(payments, 500, 50)), List.of(request),
                                           now + TTL, now, now - 1);

        assertInstanceOf(ReserveResult.Late.class, late);
        assertEquals(List.of(new CounterState(payments, 0, 0, 0, 0)), store.read(List.of(payments)));
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("next", List.of(charge(payments, 500, 0)), List.of(request), now + TTL, now,
                                       now + 60_000),
                         "the late call took nothing from the one-request bucket");
    }

    @Test
    void aReservationUnderAnIdCancelledBeforeItRanHoldsNothing() {
        store.settle("cancelled", List.of(charge(payments, 0, 0)), false, now);

        ReserveResult late = store.reserve("cancelled", List.of(charge(payments, 500, 0)), now + TTL, now);

        assertInstanceOf(ReserveResult.Late.class, late);
        assertEquals(List.of(new CounterState(payments, 0, 0, 0, 0)), store.read(List.of(payments)));
    }

    @Test
    void aReservationRunTwiceUnderOneIdHoldsOnce() {
        store.reserve("resent", List.of(charge(payments, 300, 0)), now + TTL, now);

        assertInstanceOf(ReserveResult.Late.class,
                         store.reserve("resent", List.of(charge(payments, 300, 0)), now + TTL, now));

        assertEquals(List.of(new CounterState(payments, 0, 300, 0, 0)), store.read(List.of(payments)));
    }

    @Test
    void cancellingAReservationThatRanUnseenReleasesItAndItsExpiryChargesNothing() {
        store.reserve("unseen", List.of(charge(payments, 500, 50)), now + 100, now);

        store.settle("unseen", List.of(charge(payments, 0, 0)), false, now);
        store.reserve("r2", List.of(charge(payments, 100, 0)), now + 200 + TTL, now + 200);

        assertEquals(List.of(new CounterState(payments, 0, 100, 0, 0)), store.read(List.of(payments)));
    }

    @Test
    void cancellingAReservationThatRanUnseenAndWasChargedOnExpiryTakesTheChargeBack() {
        store.reserve("unseen", List.of(charge(payments, 500, 50)), now + 100, now);
        store.reserve("r2", List.of(charge(payments, 100, 0)), now + 200 + TTL, now + 200);

        store.settle("unseen", List.of(charge(payments, 0, 0)), false, now + 300);
        List<CounterState> again = store.settle("unseen", List.of(charge(payments, 0, 0)), false, now + 300);

        assertEquals(List.of(new CounterState(payments, 0, 100, 0, 0)), again);
    }

    @Test
    void keepsEachKeyAndEachWindowApart() {
        Counter yesterday = Counter.of(TOKENS, "team=payments", at.minus(Duration.ofDays(1)));
        store.reserve("r1", List.of(charge(payments, 1000, 0)), now + TTL, now);

        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r2", List.of(charge(search, 1000, 0)), now + TTL, now));
        assertInstanceOf(ReserveResult.Reserved.class,
                         store.reserve("r3", List.of(charge(yesterday, 1000, 0)), now + TTL, now));
    }

    @Test
    void listsEveryCounterOfTheCurrentWindows() {
        store.reserve("r1", List.of(charge(payments, 10, 0), charge(alice, 10, 0)), now + TTL, now);
        store.reserve("r2", List.of(charge(search, 20, 0)), now + TTL, now);
        store.settle("r2", List.of(charge(search, 15, 0)), true, now);
        store.reserve("old", List.of(charge(Counter.of(TOKENS, "team=old", at.minus(Duration.ofDays(1))), 5, 0)),
                      now + TTL, now);

        Set<CounterState> listed = Set.copyOf(store.list(List.of(TOKENS, HOURLY), at));

        assertEquals(Set.of(new CounterState(payments, 0, 10, 0, 0), new CounterState(search, 15, 0, 0, 0),
                            new CounterState(alice, 0, 10, 0, 0)), listed);
    }

    @Test
    void resetZeroesUsageButKeepsWhatRequestsInFlightHold() {
        store.reserve("r1", List.of(charge(payments, 600, 0)), now + TTL, now);
        store.settle("r1", List.of(charge(payments, 500, 0)), true, now);
        store.reserve("r2", List.of(charge(payments, 300, 0)), now + TTL, now);

        assertTrue(store.reset(payments));
        assertFalse(store.reset(search), "no counter, nothing to reset");
        store.settle("r2", List.of(charge(payments, 100, 0)), true, now);

        assertEquals(List.of(new CounterState(payments, 100, 0, 0, 0)), store.read(List.of(payments)));
    }

    @Test
    void readsUnknownCountersAsUnused() {
        assertEquals(List.of(CounterState.empty(search)), store.read(List.of(search)));
    }

    @Test
    void concurrentRequestsNeverOvershootAndUsageAddsUpExactly() throws Exception {
        AtomicLong billed = new AtomicLong();
        Set<String> admitted = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        String id = thread + "-" + i;
                        long hold = 7 + ThreadLocalRandom.current().nextInt(20);
                        ReserveResult r = store.reserve(id, List.of(charge(payments, hold, 0), charge(alice, hold,
                                                                                                       0)),
                                                        now + TTL, now);
                        if (r instanceof ReserveResult.Reserved) {
                            long used = ThreadLocalRandom.current().nextLong(hold + 1);
                            store.settle(id, List.of(charge(payments, used, 0), charge(alice, used, 0)), true, now);
                            billed.addAndGet(used);
                            admitted.add(id);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        List<CounterState> states = store.read(List.of(payments, alice));
        assertFalse(admitted.isEmpty());
        assertEquals(billed.get(), states.get(0).usedTokens(), "stored usage is the exact sum billed");
        assertEquals(billed.get(), states.get(1).usedTokens());
        assertTrue(states.get(1).usedTokens() <= 300, "the 300-token budget admitted " + states.get(1));
        assertEquals(0, states.stream().mapToLong(CounterState::reservedTokens).sum(),
                     "nothing stays reserved: " + states.stream().map(String::valueOf)
                             .collect(Collectors.joining(", ")));
    }

    static Charge charge(Counter counter, long tokens, long nanos) {
        return new Charge(counter, tokens, nanos);
    }
}
