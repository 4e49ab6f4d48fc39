package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Admission and settlement: admits a request by taking its rate limits and reserving what it may cost against every
 * budget in one store call (one round trip to Redis), and settles the reservation with the usage the gateway reported
 * (one more). While the store is unreachable the failure mode decides; usage admitted meanwhile goes to the
 * {@link ReplayLedger}, which {@link LedgerReplayer} replays when the store is back.
 *
 * <p>The parts it sequences: {@link RateLimits} (what a request takes from rate limits), {@link StatusView} (the
 * policy's view, without a round trip), {@link ReplayLedger}, {@link Renewal} (live reservations), {@link StoreHealth}
 * (reachability). {@link Budgets} builds it, runs the background work and shuts it down.
 */
public final class BudgetService {
    private final List<Budget> budgets;
    private final BudgetStore store;
    private final RateLimits rateLimits;
    private final StoreHealth health;
    private final StatusView view;
    private final ReplayLedger ledger;
    private final Renewal renewal;
    private final long ttlMillis;
    private final long commandTimeoutMillis;
    private final SidecarMetrics metrics;
    private final Clock clock;

    BudgetService(BudgetsConfig config, BudgetStore store, StoreHealth health, StatusView view, ReplayLedger ledger,
                  Renewal renewal, SidecarMetrics metrics, Clock clock) {
        this.budgets = config.budgets();
        this.store = store;
        this.rateLimits = new RateLimits(config.rateLimits());
        this.health = health;
        this.view = view;
        this.ledger = ledger;
        this.renewal = renewal;
        this.ttlMillis = config.store().reservationTtl().toMillis();
        this.commandTimeoutMillis = config.store().commandTimeout().toMillis();
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Admits a request or refuses it, in one store call: rate limits (429 {@code rate_limited}), then one atomic
     * reservation of the most it can cost against every budget (429 {@code budget_exceeded}); 503
     * {@code budget_backend_unavailable} when the store is down in fail-closed mode, or has never been reachable.
     * Nothing is held when this throws.
     *
     * @param estimate its {@code maxCompletionTokens} is the total across all choices ({@code n})
     */
    public Reservation reserve(Subject subject, String model, Estimate estimate) {
        long now = clock.millis();
        List<RateTake> takes = rateLimits.admission(subject, model, estimate.promptTokens());
        if (budgets.isEmpty() && takes.isEmpty()) {
            return new Reservation(this, "", subject, model, estimate, List.of(), false, false, OptionalLong.empty(),
                                   now);
        }
        Instant at = Instant.ofEpochMilli(now);
        List<Charge> charges = charges(subject, model, estimate, at);
        OptionalLong limit = budgets.isEmpty() ? OptionalLong.empty()
                : OptionalLong.of(estimate.maxCompletionTokens());
        String id = newId();
        ReserveResult result;
        long started = System.nanoTime();
        try {
            // The deadline is when we stop waiting: a reservation Redis runs after it would have no owner.
            result = store.reserve(id, charges, takes, now + ttlMillis, now, now + commandTimeoutMillis);
            health.answered("reserve", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("reserve", e);
            return withoutStore(id, subject, model, estimate, charges, takes, limit, now, e.mayHaveRun());
        }
        view.remember(result.states());
        switch (result) {
            case ReserveResult.RateLimited limited -> throw RateLimits.refusal(takes, limited);
            case ReserveResult.Exceeded exceeded ->
                    throw BudgetErrors.exceeded(exceeded.exceeded(), charges.get(exceeded.index()), at);
            case ReserveResult.Late late -> {
                // Answered, but not taken (past its deadline twice, or a copy of a command that ran): as if the
                // store had not answered, with an id to cancel.
                return withoutStore(id, subject, model, estimate, charges, takes, limit, now, true);
            }
            case ReserveResult.Reserved reserved -> {
                // admitted
            }
        }
        Reservation reservation = new Reservation(this, id, subject, model, estimate, charges, true, false, limit,
                                                  now);
        if (!charges.isEmpty()) {
            renewal.track(reservation);
        }
        return reservation;
    }

    /**
     * A reservation that holds nothing and bills nothing, for a call that costs nothing (Anthropic's token
     * counting): no budget or rate limit refuses it, and settling it changes no counter.
     */
    public Reservation unbudgeted(Subject subject, String model, Estimate estimate) {
        return new Reservation(this, "", subject, model, estimate, List.of(), false, false,
                               OptionalLong.empty(), clock.millis());
    }

    /**
     * The failure mode's answer for a request the store did not reserve. When the call may have reserved anyway
     * ({@code mayBeHeld}), the id is cancelled: at once when refusing, with the request's settlement when admitting.
     */
    private Reservation withoutStore(String id, Subject subject, String model, Estimate estimate,
                                     List<Charge> charges, List<RateTake> takes, OptionalLong limit, long now,
                                     boolean mayBeHeld) {
        if (!health.mayAdmitWithoutStore()) {
            if (mayBeHeld) {
                settleUnreserved(id, nothing(charges));
            }
            throw health.everReached() ? BudgetErrors.unavailable() : BudgetErrors.neverReachable();
        }
        rateLimits.admitLocally(takes);
        metrics.failOpenAdmission();
        return new Reservation(this, id, subject, model, estimate, charges, false, mayBeHeld, limit, now);
    }

    /**
     * The current state of every budget that applies to {@code subject} calling {@code model}, as policies see it in
     * {@code input.budgets}: from a short-lived local view, without a round trip ({@link StatusView}).
     */
    public List<BudgetStatus> statuses(Subject subject, String model) {
        return view.statuses(subject, model);
    }

    void settle(Reservation r, Usage usage) {
        long cost = r.estimate.model().map(m -> m.price().costNanos(usage)).orElse(0L);
        List<Charge> used = new ArrayList<>(r.held.size());
        for (Charge c : r.held) {
            used.add(new Charge(c.counter(), usage.totalTokens(), cost));
        }
        settle(r, used, rateLimits.completion(r.subject, r.model, usage.completionTokens()));
    }

    /** Bills what {@code r} holds ({@code charge}) or nothing: for reservations cut off at shutdown. */
    void settleHeld(Reservation r, boolean charge) {
        settle(r, charge ? r.held : nothing(r.held), List.of());
    }

    private void settle(Reservation r, List<Charge> used, List<RateTake> completion) {
        if (used.isEmpty() && completion.isEmpty()) {
            return;
        }
        renewal.untrack(r);
        boolean billable = used.stream().anyMatch(c -> c.tokens() > 0 || c.nanos() > 0);
        if (!r.inStore) {
            rateLimits.completeLocally(completion);
            if (r.mayBeHeld) {
                // Under its id even when nothing is billable: that releases a reservation that ran unseen.
                settleUnreserved(r.id, used);
                return;
            }
            if (!billable) {
                return;
            }
            if (!health.reachable()) {
                ledger.sum(used);
                return;
            }
            completion = List.of();
        }
        long started = System.nanoTime();
        try {
            view.remember(store.settle(r.id, used, completion, r.inStore, clock.millis()));
            health.answered("settle", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("settle", e);
            rateLimits.completeLocally(completion);
            if (!used.isEmpty()) {
                ledger.keep(r.id, used, r.inStore);
            }
        }
    }

    /**
     * Bills {@code used} under {@code id} as not reserved here: the store releases a reservation under the id if one
     * ran after all, and remembers the id so that one running later does nothing. Kept for replay under the id when
     * the store does not answer.
     */
    private void settleUnreserved(String id, List<Charge> used) {
        if (used.isEmpty()) {
            return;
        }
        if (health.reachable()) {
            long started = System.nanoTime();
            try {
                view.remember(store.settle(id, used, List.of(), false, clock.millis()));
                health.answered("settle", started);
                return;
            } catch (BudgetStoreUnavailableException e) {
                health.failed("settle", e);
            }
        }
        ledger.keep(id, used, false);
    }

    private static List<Charge> nothing(List<Charge> charges) {
        return charges.stream().map(c -> new Charge(c.counter(), 0, 0)).toList();
    }

    /** The most the request can use, held against each budget's counter for this subject. */
    private List<Charge> charges(Subject subject, String model, Estimate estimate, Instant at) {
        if (budgets.isEmpty()) {
            return List.of();
        }
        long completion = estimate.maxCompletionTokens();
        long tokens = estimate.promptTokens() + completion;
        long nanos = estimate.maxCostNanos();
        List<Charge> charges = new ArrayList<>(budgets.size());
        for (Budget b : budgets) {
            charges.add(new Charge(Counter.of(b, Scope.key(b.scope(), subject, model), at), tokens, nanos));
        }
        return charges;
    }

    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }
}
