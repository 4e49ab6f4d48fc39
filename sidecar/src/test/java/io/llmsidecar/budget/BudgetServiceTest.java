package io.llmsidecar.budget;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service around a store: what it reserves, how it refuses, and how it survives an unreachable store. */
class BudgetServiceTest {
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
    void rejectsWhenBudgetExhaustedNamingTheBudgetAndWhenItResets() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);
        budgets.reserve(payments, "gpt-4o-mini", estimate(100, 800)).settle(usage(100, 800));

        SidecarException e = assertThrows(SidecarException.class,
                                          () -> budgets.reserve(payments, "gpt-4o-mini", estimate(100, 50)));

        assertEquals(429, e.status());
        assertEquals("budget_exceeded", e.code());
        assertEquals("Budget 'team-daily' for team=payments cannot cover this request: 900 tokens of 1,000 tokens "
                     + "used; this request may need up to 150 tokens. The budget resets at 2026-03-11T00:00:00Z.",
                     e.getMessage());
        assertEquals("5401", e.headers().get("Retry-After"), "seconds until midnight UTC, rounded up");
    }

    @Test
    void tellsToRetryShortlyWhenRequestsInFlightHoldTheRest() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);
        budgets.reserve(payments, "gpt-4o-mini", estimate(100, 800));

        SidecarException e = assertThrows(SidecarException.class,
                                          () -> budgets.reserve(payments, "gpt-4o-mini", estimate(100, 50)));

        assertTrue(e.getMessage().contains("900 tokens held by requests in flight"), e.getMessage());
        assertEquals("1", e.headers().get("Retry-After"));
    }

    @Test
    void reservesTheWholeEstimateAndReportsItsCompletionLimit() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);

        Reservation r = budgets.reserve(payments, "gpt-4o-mini", estimate(10, 300));

        assertEquals(OptionalLong.of(300), r.completionLimit(), "all choices together, as the estimate says");
        assertEquals(310, budgets.statuses(payments, "gpt-4o-mini").getFirst().reservedTokens());
    }

    @Test
    void settlesTheGatewaysUsagePricedFromThePriceBook() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);

        try (Reservation r = budgets.reserve(payments, "gpt-4o-mini", estimate(100, 800))) {
            r.settle(usage(120, 30));
        }

        BudgetStatus status = budgets.statuses(payments, "gpt-4o-mini").getFirst();
        assertEquals(150, status.usedTokens());
        assertEquals(120 + 60, status.usedNanos(), "120 x 1000 + 30 x 2000 pico-USD");
        assertEquals(0, status.reservedTokens());
    }

    @Test
    void releasesWhatARequestHeldWhenItFailsBeforeSettling() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);

        try (Reservation ignored = budgets.reserve(payments, "gpt-4o-mini", estimate(100, 800))) {
            // the upstream call failed: nothing settled
        }

        assertEquals(List.of(0L, 0L), List.of(budgets.statuses(payments, "m").getFirst().usedTokens(),
                                              budgets.statuses(payments, "m").getFirst().reservedTokens()));
    }

    @Test
    void answersPoliciesFromTheLastStatesWithoutAskingTheStore() {
        BudgetService budgets = service(FailureMode.FAIL_OPEN);
        budgets.reserve(payments, "gpt-4o-mini", estimate(100, 800)).settle(usage(100, 500));
        int calls = store.calls.get();

        BudgetStatus status = budgets.statuses(payments, "gpt-4o-mini").getFirst();

        assertEquals(calls, store.calls.get());
        assertEquals(new BudgetStatus("team-daily", "team=payments", Instant.parse("2026-03-10T00:00:00Z"),
                                      Instant.parse("2026-03-11T00:00:00Z"), OptionalLong.of(1000), 600, 0,
                                      OptionalLong.of(1_000_000), 1100, 0), status,
                     "600 tokens; 100 x 1000 + 500 x 2000 pico-USD = 1100 nano-USD");
    }

    @Test
    void failOpenAdmitsDuringAnOutageAndReplaysTheUsageWhenTheStoreIsBack() throws IOException {
        Budgets running = budgets(FailureMode.FAIL_OPEN, ExpiredReservations.CHARGE, Optional.empty());
        BudgetService budgets = running.service();
        Reservation before = budgets.reserve(payments, "gpt-4o-mini", estimate(100, 100));
        store.down = true;

        budgets.reserve(payments, "gpt-4o-mini", estimate(100, 100)).settle(usage(100, 10));
        budgets.reserve(payments, "gpt-4o-mini", estimate(100, 100)).settle(usage(100, 20));
        before.settle(usage(50, 5));
        running.replayer().replay();
        store.down = false;
        running.replayer().replay();
        running.replayer().replay();

        Counter counter = Counter.of(DAILY, "team=payments", now);
        assertEquals(new CounterState(counter, 110 + 120 + 55, 0, 120 + 140 + 60, 0),
                     store.read(List.of(counter)).getFirst(), "nothing admitted during the outage is lost");
        String scrape = scrape();
        assertTrue(scrape.contains("llm_sidecar_fail_open_admissions_total 2.0"), scrape);
        assertTrue(scrape.contains("llm_sidecar_budget_replayed_total 3.0"), scrape);
        assertTrue(scrape.contains("llm_sidecar_budget_store_errors_total{operation=\"reserve\",} 2.0"), scrape);
    }

    @Test
    void reservationsThatRanUnansweredAreCancelledSoTheStoreHoldsOnlyTheReportedUsage() {
        Budgets running = budgets(FailureMode.FAIL_OPEN, ExpiredReservations.CHARGE, Optional.empty());
        BudgetService budgets = running.service();
        store.answersLost = true;

        Reservation served = budgets.reserve(payments, "gpt-4o-mini", estimate(100, 100));
        Reservation refusedUpstream = budgets.reserve(payments, "gpt-4o-mini", estimate(100, 100));
        served.settle(usage(100, 10));
        refusedUpstream.close();
        store.answersLost = false;
        running.replayer().replay();
        store.store.list(List.of(DAILY), now.plus(Duration.ofMinutes(5)));

        Counter counter = Counter.of(DAILY, "team=payments", now);
        assertEquals(new CounterState(counter, 110, 0, 120, 0), store.read(List.of(counter)).getFirst(),
                     "the two reservations that ran unseen are released, not charged when they expire");
        assertTrue(scrapeUnchecked().contains("llm_sidecar_fail_open_admissions_total 2.0"));
    }

    @Test
    void failClosedCancelsAReservationThatRanUnanswered() {
        Budgets running = budgets(FailureMode.FAIL_CLOSED, ExpiredReservations.CHARGE, Optional.empty());
        BudgetService budgets = running.service();
        store.answersLost = true;

        SidecarException e = assertThrows(SidecarException.class,
                                          () -> budgets.reserve(payments, "gpt-4o-mini", estimate(10, 10)));
        store.answersLost = false;
        running.replayer().replay();
        store.store.list(List.of(DAILY), now.plus(Duration.ofMinutes(5)));

        assertEquals(503, e.status());
        Counter counter = Counter.of(DAILY, "team=payments", now);
        assertEquals(new CounterState(counter, 0, 0, 0, 0), store.read(List.of(counter)).getFirst());
    }

    @Test
    void failClosedRefusesWith503WhileTheStoreIsDown() {
        BudgetService budgets = service(FailureMode.FAIL_CLOSED);
        store.down = true;

        SidecarException e = assertThrows(SidecarException.class,
                                          () -> budgets.reserve(payments, "gpt-4o-mini", estimate(10, 10)));

        assertEquals(503, e.status());
        assertEquals("budget_backend_unavailable", e.code());
    }

    @Test
    void rateLimitsRequestsAndTokensPerMinute() {
        BudgetsConfig config = new BudgetsConfig(List.of(), List.of(
                new RateLimit("app-rpm", List.of(Scope.TEAM), 2, OptionalLong.of(1000))),
                                                 BudgetStoreConfig.embedded());
        BudgetService budgets = Budgets.of(config, store, metrics, clock).service();

        Subject search = new Subject("search", "", payments.pod());
        budgets.reserve(payments, "gpt-4o-mini", estimate(10, 100)).settle(usage(10, 995));
        SidecarException tokens = assertThrows(SidecarException.class,
                                               () -> budgets.reserve(payments, "gpt-4o-mini", estimate(10, 100)));
        budgets.reserve(search, "gpt-4o-mini", estimate(10, 100)).close();
        budgets.reserve(search, "gpt-4o-mini", estimate(10, 100)).close();
        SidecarException requests = assertThrows(SidecarException.class,
                                                 () -> budgets.reserve(search, "gpt-4o-mini", estimate(10, 100)));

        assertEquals("rate_limited", tokens.code());
        assertEquals(429, tokens.status());
        assertTrue(tokens.getMessage().startsWith("Rate limit 'app-rpm' for team=payments (1000 tokens per minute)"),
                   tokens.getMessage());
        assertTrue(Long.parseLong(tokens.headers().get("Retry-After")) >= 1);
        assertTrue(requests.getMessage().startsWith("Rate limit 'app-rpm' for team=search (2 requests per minute)"),
                   requests.getMessage());
    }

    @Test
    void aStoreNeverReachedSinceStartIsRefusedAfterTheGraceEvenFailingOpen() {
        MutableClock time = new MutableClock(now);
        store.down = true;
        BudgetStoreConfig storeConfig = new BudgetStoreConfig(Optional.of("redis://wrong:6379"), false,
                                                              FailureMode.FAIL_OPEN, Duration.ofMinutes(2),
                                                              Duration.ofMillis(500), Duration.ofSeconds(2), "p:",
                                                              ExpiredReservations.CHARGE, Optional.empty(),
                                                              Duration.ofSeconds(30));
        Budgets running = Budgets.of(new BudgetsConfig(List.of(DAILY), List.of(), storeConfig), store,
                                     new NeverConnected(), metrics, time);
        BudgetService budgets = running.service();

        budgets.reserve(payments, "gpt-4o-mini", estimate(10, 10)).close();
        assertEquals(true, running.healthCheck().call().status() == io.helidon.health.HealthCheckResponse.Status.UP);
        time.advance(Duration.ofSeconds(31));
        SidecarException e = assertThrows(SidecarException.class,
                                          () -> budgets.reserve(payments, "gpt-4o-mini", estimate(10, 10)));

        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("has not been reachable since the sidecar started"), e.getMessage());
        assertEquals(io.helidon.health.HealthCheckResponse.Status.DOWN, running.healthCheck().call().status());
        assertTrue(scrapeUnchecked().contains("llm_sidecar_budget_store_connected 0.0"));
        store.down = false;
        running.replayer().replay();
        assertEquals(io.helidon.health.HealthCheckResponse.Status.UP, running.healthCheck().call().status());
        assertTrue(scrapeUnchecked().contains("llm_sidecar_budget_store_connected 1.0"));
        budgets.reserve(payments, "gpt-4o-mini", estimate(10, 10)).close();
    }

    private String scrapeUnchecked() {
        try {
            return scrape();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private BudgetService service(FailureMode mode) {
        return budgets(mode, ExpiredReservations.CHARGE, Optional.empty()).service();
    }

    private Budgets budgets(FailureMode mode, ExpiredReservations expired, Optional<Path> ledger) {
        BudgetStoreConfig storeConfig = new BudgetStoreConfig(Optional.empty(), false, mode, Duration.ofMinutes(2),
                                                              Duration.ofMillis(500), Duration.ofSeconds(2), "p:",
                                                              expired, ledger, Duration.ofSeconds(30));
        BudgetsConfig config = new BudgetsConfig(List.of(DAILY), List.of(), storeConfig);
        return Budgets.of(config, store, metrics, clock);
    }

    /** A Redis that has not answered once: a wrong URI, say. */
    private static final class NeverConnected implements StoreConnection {
        @Override
        public boolean everConnected() {
            return false;
        }

        @Override
        public boolean connecting() {
            return false;
        }

        @Override
        public String whatIsTried() {
            return "1 attempt (test)";
        }

        @Override
        public void close() {
        }
    }

    private static Estimate estimate(long prompt, long completion) {
        return new Estimate(prompt, completion, MINI.price().maxCostNanos(prompt, completion), Optional.of(MINI));
    }

    private static Usage usage(long prompt, long completion) {
        return new Usage(prompt, completion, 0, Usage.Source.GATEWAY);
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.scrape(metrics.contentType(""), out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
