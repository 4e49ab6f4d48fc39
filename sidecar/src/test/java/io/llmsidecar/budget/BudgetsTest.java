package io.llmsidecar.budget;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Budgets as a running part of the sidecar: what shutdown does with reservations still open and with the ledger. */
class BudgetsTest {
    private static final Budget DAILY = new Budget("team-daily", List.of(Scope.TEAM), Window.DAY,
                                                   OptionalLong.of(1000), OptionalLong.of(1_000_000));
    /** 1 USD per million tokens in, 2 out: 1000 and 2000 pico-USD per token. */
    private static final PricedModel MINI = new PricedModel("gpt-4o-mini", new ModelPrice(1000, 2000, -1, 0, 0));
    private final Instant now = Instant.parse("2026-03-10T22:30:00Z");
    private final Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    private final Subject payments = new Subject("payments", "alice", new PodIdentity("", "", "", "", "", true));
    private final SidecarMetrics metrics = new SidecarMetrics("test");
    private final FlakyStore store = new FlakyStore();

    @Test
    void closeChargesWhatRequestsStillOpenHoldAndReleasesWhenConfigured() {
        Budgets charging = budgets(ExpiredReservations.CHARGE, Optional.empty());
        charging.service().reserve(payments, "gpt-4o-mini", estimate(100, 200));
        charging.close();
        Counter counter = Counter.of(DAILY, "team=payments", now);
        assertEquals(new CounterState(counter, 300, 0, 500, 0), store.read(List.of(counter)).getFirst());

        Budgets releasing = budgets(ExpiredReservations.RELEASE, Optional.empty());
        releasing.service().reserve(payments, "gpt-4o-mini", estimate(100, 200));
        releasing.close();
        assertEquals(new CounterState(counter, 300, 0, 500, 0), store.read(List.of(counter)).getFirst(),
                     "released: nothing more billed, nothing held");
    }

    @Test
    void aLedgerFileOutlivesTheProcessAndIsReplayedOnceByTheNextOne(@TempDir Path dir) {
        Path file = dir.resolve("ledger");
        Budgets first = budgets(ExpiredReservations.CHARGE, Optional.of(file));
        Reservation inStore = first.service().reserve(payments, "gpt-4o-mini", estimate(100, 100));
        store.down = true;
        first.service().reserve(payments, "gpt-4o-mini", estimate(100, 100)).settle(usage(100, 10));
        first.service().reserve(payments, "gpt-4o-mini", estimate(100, 100)).settle(usage(100, 20));
        inStore.settle(usage(50, 5));
        first.close();

        store.down = false;
        Budgets second = budgets(ExpiredReservations.RELEASE, Optional.of(file));
        second.replayer().replay();
        second.replayer().replay();
        second.close();
        Budgets third = budgets(ExpiredReservations.RELEASE, Optional.of(file));
        third.replayer().replay();

        Counter counter = Counter.of(DAILY, "team=payments", now);
        assertEquals(new CounterState(counter, 110 + 120 + 55, 0, 120 + 140 + 60, 0),
                     store.read(List.of(counter)).getFirst(), "replayed once, by the next process only");
    }

    private Budgets budgets(ExpiredReservations expired, Optional<Path> ledger) {
        BudgetStoreConfig storeConfig = new BudgetStoreConfig(Optional.empty(), false, FailureMode.FAIL_OPEN,
                                                              Duration.ofMinutes(2), Duration.ofMillis(500),
                                                              Duration.ofSeconds(2), "p:", expired, ledger,
                                                              Duration.ofSeconds(30));
        return Budgets.of(new BudgetsConfig(List.of(DAILY), List.of(), storeConfig), store, metrics, clock);
    }

    private static Estimate estimate(long prompt, long completion) {
        return new Estimate(prompt, completion, MINI.price().maxCostNanos(prompt, completion), Optional.of(MINI));
    }

    private static Usage usage(long prompt, long completion) {
        return new Usage(prompt, completion, 0, Usage.Source.GATEWAY);
    }
}
