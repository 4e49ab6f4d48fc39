package io.llmsidecar.budget;

import io.helidon.health.HealthCheck;
import io.helidon.webserver.http.HttpService;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Token and cost budgets and rate limits: admits a request by taking its rate limits and reserving what it may cost
 * against every budget in one store call (one round trip to Redis), and settles the reservation with the usage the
 * gateway reported (one more). While the store is unreachable the failure mode decides; usage admitted meanwhile is
 * kept in the {@link ReplayLedger} and replayed when it is back.
 *
 * <p>The parts: {@link RateLimits} (what a request takes from rate limits), {@link StatusView} (the policy's view,
 * without a round trip), {@link ReplayLedger}, {@link Renewal} (live reservations), {@link StoreHealth}
 * (reachability, readiness). This class only sequences them.
 */
public final class BudgetService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());
    private static final long REPLAY_EVERY_MILLIS = 1000;

    private final List<Budget> budgets;
    private final BudgetStore store;
    private final RateLimits rateLimits;
    private final StoreHealth health;
    private final StatusView view;
    private final ReplayLedger ledger;
    private final Renewal renewal;
    private final ExpiredReservations expiredReservations;
    private final long ttlMillis;
    private final long commandTimeoutMillis;
    private final SidecarMetrics metrics;
    private final Clock clock;
    private final String description;
    private final AutoCloseable connector;
    private final ScheduledExecutorService renewer = daemon("budget-renewal");
    private final ScheduledExecutorService replayer = daemon("budget-replay");
    private final ExecutorService reader = daemon("budget-status-read");
    private final AtomicBoolean closed = new AtomicBoolean();

    private final BooleanSupplier connecting;

    private BudgetService(BudgetsConfig config, BudgetStore store, AutoCloseable connector, boolean reachedAlready,
                          Supplier<String> whatWasTried, SidecarMetrics metrics, Clock clock) {
        this.connecting = connector instanceof RedisConnector redis ? redis::connecting : () -> false;
        BudgetStoreConfig storeConfig = config.store();
        this.budgets = config.budgets();
        this.store = store;
        this.connector = connector;
        this.rateLimits = new RateLimits(config.rateLimits());
        this.expiredReservations = storeConfig.expiredReservations();
        this.ttlMillis = storeConfig.reservationTtl().toMillis();
        this.commandTimeoutMillis = storeConfig.commandTimeout().toMillis();
        this.metrics = metrics;
        this.clock = clock;
        this.description = describe(config, store);
        this.health = new StoreHealth(store.describe(), storeConfig.failureMode(), storeConfig.startupGrace(),
                                      reachedAlready, whatWasTried, metrics, clock);
        this.view = new StatusView(budgets, store, health, metrics, clock, reader);
        this.ledger = storeConfig.ledgerFile().isPresent() && !budgets.isEmpty()
                ? ReplayLedger.open(BudgetService::newId, storeConfig.ledgerFile().get(), budgets)
                : ReplayLedger.inMemory(BudgetService::newId);
        this.renewal = new Renewal(store, health, clock, ttlMillis);
    }

    /** Connects the store the configuration names (waiting briefly for Redis) and starts replay and renewal. */
    public static BudgetService create(BudgetsConfig config, SidecarMetrics metrics, Clock clock) {
        BudgetService service;
        ExpiredReservations expired = config.store().expiredReservations();
        if (config.enabled() && config.store().redisUri().isPresent()) {
            RedisConnector connector = RedisConnector.create(config.store());
            RedisBudgetStore store = new RedisBudgetStore(connector, config.store().keyPrefix(), expired,
                                                          n -> metrics.budgetReservationsExpired(expired.label(), n));
            service = new BudgetService(config, store, connector, connector.everConnected(),
                                        connector::whatIsTried, metrics, clock);
        } else {
            BudgetStore store = new InMemoryBudgetStore(
                    expired, n -> metrics.budgetReservationsExpired(expired.label(), n));
            service = new BudgetService(config, store, () -> { }, true, () -> "", metrics, clock);
        }
        service.start();
        return service;
    }

    /** A service over a given store, without background tasks (tests drive {@link #replay}). */
    static BudgetService of(BudgetsConfig config, BudgetStore store, SidecarMetrics metrics, Clock clock) {
        return new BudgetService(config, store, () -> { }, true, () -> "", metrics, clock);
    }

    /** A service over a store that has not answered yet (tests of a misconfigured store). */
    static BudgetService neverReached(BudgetsConfig config, BudgetStore store, SidecarMetrics metrics, Clock clock) {
        return new BudgetService(config, store, () -> { }, false, () -> "1 attempt (test)", metrics, clock);
    }

    private void start() {
        health.reportStartup(connecting.getAsBoolean());
        if (budgets.isEmpty() && rateLimits.size() == 0) {
            return;
        }
        replayer.scheduleWithFixedDelay(this::replay, REPLAY_EVERY_MILLIS, REPLAY_EVERY_MILLIS,
                                        TimeUnit.MILLISECONDS);
        renewer.scheduleWithFixedDelay(renewal::renew, renewal.periodMillis(), renewal.periodMillis(),
                                       TimeUnit.MILLISECONDS);
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

    /** Readiness: down while requests are refused because the store has never been reachable. */
    public HealthCheck healthCheck() {
        return health.healthCheck();
    }

    /** The admin API: {@code GET /admin/budgets} and {@code DELETE /admin/budgets/{budget}/{key}}. */
    public HttpService adminService() {
        return new BudgetAdminService(this);
    }

    /** For the startup log line. */
    public String describe() {
        return description;
    }

    /** Every counter of the current windows, across replicas (the admin API). */
    List<BudgetStatus> list() {
        Instant now = clock.instant();
        List<CounterState> states = call("list", () -> store.list(budgets, now));
        view.remember(states);
        return states.stream().map(CounterState::status).toList();
    }

    /** Sets one counter's usage in the current window back to zero; false if there is no such budget or counter. */
    boolean reset(String budgetName, String key) {
        Optional<Budget> budget = budgets.stream().filter(b -> b.name().equals(budgetName)).findFirst();
        if (budget.isEmpty()) {
            return false;
        }
        Counter counter = Counter.of(budget.get(), key, clock.instant());
        if (!call("reset", () -> store.reset(counter))) {
            return false;
        }
        LOG.log(Level.INFO, "Budget '" + budgetName + "' for " + key + " was reset through the admin API");
        view.forget(counter);
        view.read(List.of(counter));
        return true;
    }

    /**
     * Ends budgeting for shutdown; call it after the server has stopped and in-flight requests have settled (the
     * drain). Reservations still live belong to requests that were cut off: they are billed as an expired
     * reservation would be ({@code budget-store.expired-reservations}). Then the ledger is replayed if the store
     * answers; what it cannot take stays in the ledger file for the next start (without a file it is lost, and
     * the log says so).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        renewer.shutdownNow();
        replayer.shutdownNow();
        List<Reservation> cut = renewal.live();
        for (Reservation r : cut) {
            r.settleAsHeld(expiredReservations == ExpiredReservations.CHARGE);
        }
        if (!cut.isEmpty()) {
            LOG.log(Level.WARNING, cut.size() + " budget reservations were still open at shutdown; "
                                   + (expiredReservations == ExpiredReservations.CHARGE
                                      ? "charged what they held" : "released") + " (budget-store.expired-"
                                   + "reservations)");
        }
        replay();
        if (!ledger.isEmpty()) {
            LOG.log(Level.WARNING, "Stopping with the usage of " + ledger.requests() + " requests that the budget "
                                   + "store has not taken yet (it is unreachable); "
                                   + (ledger.where().equals("memory") ? "that usage is lost (set "
                                                                        + "budget-store.ledger-file to keep it)"
                                      : "it stays in " + ledger.where() + " and is replayed after the next start"));
        }
        ledger.close();
        reader.shutdownNow();
        store.close();
        try {
            connector.close();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "Closing the Redis client failed", e);
        }
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

    /** Replays usage kept during an outage, oldest first, stopping at the first failure. */
    void replay() {
        if (ledger.isEmpty()) {
            if (!health.everReached()) {
                probe();
            }
            return;
        }
        long requests = 0;
        long tokens = 0;
        for (ReplayLedger.Pending p : ledger.pending()) {
            long started = System.nanoTime();
            try {
                view.remember(store.settle(p.id(), p.used(), p.reserved(), clock.millis()));
            } catch (BudgetStoreUnavailableException e) {
                break;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Replaying budget usage failed; will retry", e);
                break;
            }
            health.answered("settle", started);
            ledger.done(p);
            requests += p.requests();
            tokens += p.used().isEmpty() ? 0 : p.used().getFirst().tokens();
        }
        if (requests > 0) {
            metrics.budgetReplayed(requests);
            LOG.log(Level.INFO, "Replayed the usage of " + requests + " requests (" + tokens + " tokens per budget) "
                                + "admitted during the budget store outage into " + store.describe());
        }
    }

    /** While the store has never answered, asks it every second, so readiness follows without traffic. */
    private void probe() {
        long started = System.nanoTime();
        try {
            store.ping();
            health.answered("read", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("read", e);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Pinging the budget store failed", e);
        }
    }

    private <T> T call(String operation, Supplier<T> call) {
        long started = System.nanoTime();
        try {
            T result = call.get();
            health.answered(operation, started);
            return result;
        } catch (BudgetStoreUnavailableException e) {
            health.failed(operation, e);
            throw BudgetErrors.unavailable();
        }
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

    private static ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name).daemon(true).factory());
    }

    private static String describe(BudgetsConfig config, BudgetStore store) {
        if (!config.enabled()) {
            return "none configured";
        }
        return config.budgets().size() + " budgets, " + config.rateLimits().size() + " rate limits in "
               + store.describe() + " (" + config.store().failureMode().label() + ", expired reservations: "
               + config.store().expiredReservations().label() + ")";
    }
}
