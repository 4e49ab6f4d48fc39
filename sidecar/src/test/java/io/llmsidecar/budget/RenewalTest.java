package io.llmsidecar.budget;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.pricing.Estimate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Live reservations renewed before their TTL: which, when, and what a store outage does to it. */
class RenewalTest {
    private static final long TTL = 90_000;
    private final Instant start = Instant.parse("2026-03-10T22:30:00Z");
    private final MutableClock clock = new MutableClock(start);
    private final RecordingStore store = new RecordingStore();
    private final StoreHealth health = new StoreHealth("test", FailureMode.FAIL_OPEN, Duration.ofSeconds(30), true,
                                                       () -> "", new SidecarMetrics("test"), clock);
    private final Renewal renewal = new Renewal(store, health, clock, TTL);

    @Test
    void renewsOnlyReservationsAThirdOfTheTtlOldToATtlFromNow() {
        Reservation old = reservation("old");
        renewal.track(old);
        clock.advance(Duration.ofSeconds(20));
        renewal.track(reservation("young"));
        clock.advance(Duration.ofSeconds(10));

        renewal.renew();

        assertEquals(List.of(new Renewed(List.of("old"), start.plusSeconds(30).toEpochMilli() + TTL)), store.renewed);
        assertEquals(start.plusSeconds(30).toEpochMilli(), old.renewedAt);
    }

    @Test
    void asksTheStoreNothingWhenNoneIsDue() {
        renewal.track(reservation("young"));
        clock.advance(Duration.ofSeconds(29));

        renewal.renew();

        assertEquals(List.of(), store.renewed);
    }

    @Test
    void forgetsSettledReservations() {
        Reservation r = reservation("settled");
        renewal.track(r);
        renewal.untrack(r);
        clock.advance(Duration.ofMinutes(1));

        renewal.renew();

        assertEquals(List.of(), store.renewed);
        assertEquals(List.of(), renewal.live());
    }

    @Test
    void anUnreachableStoreIsRecordedAndTheNextRoundTriesAgainLater() {
        Reservation r = reservation("r");
        renewal.track(r);
        clock.advance(Duration.ofSeconds(30));
        store.down = true;

        renewal.renew();
        assertEquals(false, health.reachable());
        store.down = false;
        renewal.renew();
        clock.advance(Duration.ofSeconds(30));
        renewal.renew();

        assertEquals(true, health.reachable());
        assertEquals(List.of(new Renewed(List.of("r"), start.plusSeconds(60).toEpochMilli() + TTL)), store.renewed,
                     "marked renewed when tried, so a down store is not hammered every second");
    }

    @Test
    void runsEveryThirdOfTheTtlButNotMoreThanOnceASecond() {
        assertEquals(30_000, renewal.periodMillis());
        assertEquals(1000, new Renewal(store, health, clock, 1500).periodMillis());
    }

    private Reservation reservation(String id) {
        Subject subject = new Subject("payments", "", new PodIdentity("", "", "", "", "", true));
        return new Reservation(null, id, subject, "m", new Estimate(1, 1, 0, Optional.empty()), List.of(), true,
                               false, OptionalLong.empty(), clock.millis());
    }

    private record Renewed(List<String> ids, long expiresAt) {
    }

    /** Records renewals; nothing else is asked of it here. */
    private static final class RecordingStore implements BudgetStore {
        final List<Renewed> renewed = new ArrayList<>();
        volatile boolean down;

        @Override
        public void renew(Collection<String> ids, long expiresAtMillis) {
            if (down) {
                throw new BudgetStoreUnavailableException("down for the test", null, false);
            }
            renewed.add(new Renewed(List.copyOf(ids), expiresAtMillis));
        }

        @Override
        public ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                                     long nowMillis, long deadlineMillis) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CounterState> settle(String id, List<Charge> used, List<RateTake> completion, boolean reserved,
                                         long nowMillis) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CounterState> read(List<Counter> counters) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CounterState> list(List<Budget> budgets, Instant now) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean reset(Counter counter) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void ping() {
        }

        @Override
        public String describe() {
            return "recording";
        }

        @Override
        public void close() {
        }
    }
}
