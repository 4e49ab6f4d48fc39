package io.llmsidecar.budget;

import io.helidon.webserver.http.HttpService;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Token and cost budgets and rate limits: admits a request by reserving what it may cost against every budget at
 * once, and settles the reservation with the usage the gateway reported. Counters live in a {@link BudgetStore}
 * (Redis, shared by replicas, or this process); while Redis is unreachable the failure mode decides, and usage
 * admitted meanwhile is replayed into Redis when it is back.
 *
 * <p>Every reserve and settle answer carries the state of the request's counters; the last ones seen are kept here,
 * which is what {@link #statuses} returns to policies without another round trip.
 */
public final class BudgetService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());
    private static final int MAX_CACHED_COUNTERS = 10_000;
    private static final long REPLAY_EVERY_MILLIS = 1000;

    private final List<Budget> budgets;
    private final BudgetStore store;
    private final RateLimiter limiter;
    private final RateLimiter localLimiter;
    private final boolean limitsTokens;
    private final FailureMode failureMode;
    private final long ttlMillis;
    private final SidecarMetrics metrics;
    private final Clock clock;
    private final String description;
    private final Map<String, CounterState> known = new ConcurrentHashMap<>();
    private final Set<String> warming = ConcurrentHashMap.newKeySet();
    private final Map<String, Reservation> live = new ConcurrentHashMap<>();
    private final UsageLedger ledger = new UsageLedger(BudgetService::newId);
    private final AtomicBoolean storeReachable = new AtomicBoolean(true);
    private final ScheduledExecutorService background;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private final AutoCloseable connector;

    private BudgetService(BudgetsConfig config, BudgetStore store, RateLimiter limiter, AutoCloseable connector,
                          SidecarMetrics metrics, ScheduledExecutorService background, Clock clock) {
        this.budgets = config.budgets();
        this.store = store;
        this.limiter = limiter;
        this.localLimiter = BucketRateLimiter.local(config.rateLimits());
        this.limitsTokens = config.rateLimits().stream().anyMatch(l -> l.tokensPerMinute().isPresent());
        this.failureMode = config.store().failureMode();
        this.ttlMillis = config.store().reservationTtl().toMillis();
        this.metrics = metrics;
        this.background = background;
        this.clock = clock;
        this.connector = connector;
        this.description = describe(config, store);
    }

    /** Connects the store the configuration names (waiting briefly for Redis) and starts replay and renewal. */
    public static BudgetService create(BudgetsConfig config, SidecarMetrics metrics,
                                       ScheduledExecutorService background, Clock clock) {
        BudgetService service;
        if (config.enabled() && config.store().redisUri().isPresent()) {
            RedisConnector connector = RedisConnector.create(config.store());
            RateLimiter limiter = config.rateLimits().isEmpty()
                    ? BucketRateLimiter.local(List.of())
                    : new RedisRateLimiter(connector, config.rateLimits(), config.store().keyPrefix(),
                                           config.store().commandTimeout());
            service = new BudgetService(config, new RedisBudgetStore(connector, config.store().keyPrefix()),
                                        limiter, connector, metrics, background, clock);
        } else {
            service = new BudgetService(config, new InMemoryBudgetStore(), BucketRateLimiter.local(
                    config.rateLimits()), () -> { }, metrics, background, clock);
        }
        service.start();
        return service;
    }

    /** A service over a given store and limiter, without background tasks (tests drive {@link #replay}). */
    static BudgetService of(BudgetsConfig config, BudgetStore store, RateLimiter limiter, SidecarMetrics metrics,
                            ScheduledExecutorService background, Clock clock) {
        return new BudgetService(config, store, limiter, () -> { }, metrics, background, clock);
    }

    private void start() {
        if (budgets.isEmpty()) {
            return;
        }
        long renewEvery = Math.max(1000, ttlMillis / 3);
        tasks.add(background.scheduleWithFixedDelay(this::replay, REPLAY_EVERY_MILLIS, REPLAY_EVERY_MILLIS,
                                                    TimeUnit.MILLISECONDS));
        tasks.add(background.scheduleWithFixedDelay(this::renew, renewEvery, renewEvery, TimeUnit.MILLISECONDS));
    }

    /**
     * Admits a request or refuses it: rate limits first (429 {@code rate_limited}), then one atomic reservation of
     * the most it can cost against every budget (429 {@code budget_exceeded}); 503 {@code budget_backend_unavailable}
     * when the store is down in fail-closed mode. Nothing is held when this throws.
     */
    public Reservation reserve(Subject subject, ChatRequest request, Estimate estimate) {
        admitRate(subject, request.model(), estimate.promptTokens());
        long now = clock.millis();
        if (budgets.isEmpty()) {
            return new Reservation(this, "", subject, estimate, List.of(), false, request, OptionalLong.empty(), now);
        }
        long completion = Math.multiplyExact(estimate.maxCompletionTokens(), choices(request));
        Instant at = Instant.ofEpochMilli(now);
        List<Charge> charges = charges(subject, request.model(), estimate, completion, at);
        ChatRequest forwarded = withCompletionLimit(request, estimate);
        String id = newId();
        ReserveResult result;
        long started = System.nanoTime();
        try {
            result = store.reserve(id, charges, now + ttlMillis, now);
            reachable("reserve", started);
        } catch (BudgetStoreUnavailableException e) {
            unreachable("reserve", e);
            if (failureMode == FailureMode.FAIL_CLOSED) {
                throw BudgetErrors.unavailable();
            }
            metrics.failOpenAdmission();
            return new Reservation(this, id, subject, estimate, charges, false, forwarded,
                                   OptionalLong.of(completion), now);
        }
        remember(result.states());
        if (result instanceof ReserveResult.Exceeded exceeded) {
            throw BudgetErrors.exceeded(exceeded.exceeded(), charges.get(exceeded.index()), at);
        }
        Reservation reservation = new Reservation(this, id, subject, estimate, charges, true, forwarded,
                                                  OptionalLong.of(completion), now);
        live.put(id, reservation);
        return reservation;
    }

    /**
     * Admits a request of any API as {@link #reserve(Subject, ChatRequest, Estimate)} does, without touching the
     * request: the estimate's {@code maxCompletionTokens} already covers every choice, and the caller writes the
     * reserved limit into what it forwards ({@link Reservation#completionLimit()}).
     */
    public Reservation reserve(Subject subject, String model, Estimate estimate) {
        admitRate(subject, model, estimate.promptTokens());
        long now = clock.millis();
        if (budgets.isEmpty()) {
            return new Reservation(this, "", subject, model, estimate, List.of(), false, OptionalLong.empty(), now);
        }
        long completion = estimate.maxCompletionTokens();
        Instant at = Instant.ofEpochMilli(now);
        List<Charge> charges = charges(subject, model, estimate, completion, at);
        String id = newId();
        ReserveResult result;
        long started = System.nanoTime();
        try {
            result = store.reserve(id, charges, now + ttlMillis, now);
            reachable("reserve", started);
        } catch (BudgetStoreUnavailableException e) {
            unreachable("reserve", e);
            if (failureMode == FailureMode.FAIL_CLOSED) {
                throw BudgetErrors.unavailable();
            }
            metrics.failOpenAdmission();
            return new Reservation(this, id, subject, model, estimate, charges, false, OptionalLong.of(completion),
                                   now);
        }
        remember(result.states());
        if (result instanceof ReserveResult.Exceeded exceeded) {
            throw BudgetErrors.exceeded(exceeded.exceeded(), charges.get(exceeded.index()), at);
        }
        Reservation reservation = new Reservation(this, id, subject, model, estimate, charges, true,
                                                  OptionalLong.of(completion), now);
        live.put(id, reservation);
        return reservation;
    }

    /**
     * The current state of every budget that applies to {@code subject} calling {@code model}, as policies see it in
     * {@code input.budgets}. Answered from the states the last reserve and settle calls returned, so it costs no
     * round trip; a counter this sidecar has not seen yet reads as unused while it is fetched in the background.
     */
    public List<BudgetStatus> statuses(Subject subject, String model) {
        Instant now = clock.instant();
        List<BudgetStatus> statuses = new ArrayList<>(budgets.size());
        List<Counter> unknown = null;
        for (Budget b : budgets) {
            Counter counter = Counter.of(b, Scope.key(b.scope(), subject, model), now);
            CounterState state = known.get(counter.id());
            if (state == null) {
                state = CounterState.empty(counter);
                if (warming.add(counter.id())) {
                    (unknown == null ? unknown = new ArrayList<>() : unknown).add(counter);
                }
            }
            statuses.add(state.status());
        }
        if (unknown != null) {
            List<Counter> fetch = unknown;
            background.execute(() -> warm(fetch));
        }
        return statuses;
    }

    /** Every counter of the current windows, across replicas (the admin API). */
    List<BudgetStatus> list() {
        Instant now = clock.instant();
        List<CounterState> states = call("list", () -> store.list(budgets, now));
        remember(states);
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
        known.remove(counter.id());
        warm(List.of(counter));
        return true;
    }

    /** The admin API: {@code GET /admin/budgets} and {@code DELETE /admin/budgets/{budget}/{key}}. */
    public HttpService adminService() {
        return new BudgetAdminService(this);
    }

    /** For the startup log line. */
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        tasks.forEach(t -> t.cancel(false));
        replay();
        if (!ledger.isEmpty()) {
            LOG.log(Level.WARNING, "Stopping with budget usage that the store has not taken yet (it is "
                                   + "unreachable); that usage is lost");
        }
        limiter.close();
        store.close();
        try {
            connector.close();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "Closing the Redis client failed", e);
        }
    }

    void settle(Reservation r, Usage usage) {
        if (limitsTokens) {
            recordCompletion(r, usage);
        }
        if (r.held.isEmpty()) {
            return;
        }
        live.remove(r.id);
        long cost = r.estimate.model().map(m -> m.price().costNanos(usage)).orElse(0L);
        List<Charge> used = new ArrayList<>(r.held.size());
        for (Charge c : r.held) {
            used.add(new Charge(c.counter(), usage.totalTokens(), cost));
        }
        if (!r.inStore && (usage.totalTokens() == 0 && cost == 0 || !storeReachable.get())) {
            if (usage.totalTokens() > 0 || cost > 0) {
                ledger.sum(used);
            }
            return;
        }
        long started = System.nanoTime();
        try {
            remember(store.settle(r.id, used, r.inStore, clock.millis()));
            reachable("settle", started);
        } catch (BudgetStoreUnavailableException e) {
            unreachable("settle", e);
            ledger.keep(r.id, used, r.inStore);
        }
    }

    private void admitRate(Subject subject, String model, long promptTokens) {
        RateLimiter.RateDecision decision;
        try {
            decision = limiter.admit(subject, model, promptTokens);
        } catch (BudgetStoreUnavailableException e) {
            unreachable("rate_limit", e);
            if (failureMode == FailureMode.FAIL_CLOSED) {
                throw BudgetErrors.unavailable();
            }
            // Fail-open still limits each replica on its own: better an approximate limit than none.
            decision = localLimiter.admit(subject, model, promptTokens);
        }
        if (decision instanceof RateLimiter.RateDecision.Limited limited) {
            throw BudgetErrors.rateLimited(limited);
        }
    }

    private void recordCompletion(Reservation r, Usage usage) {
        try {
            limiter.recordCompletion(r.subject, r.model, usage.completionTokens());
        } catch (BudgetStoreUnavailableException e) {
            unreachable("rate_limit", e);
            localLimiter.recordCompletion(r.subject, r.model, usage.completionTokens());
        }
    }

    /** Replays usage kept during an outage, oldest first, stopping at the first failure. */
    void replay() {
        if (ledger.isEmpty()) {
            return;
        }
        long requests = 0;
        long tokens = 0;
        for (UsageLedger.Pending p : ledger.pending()) {
            try {
                remember(store.settle(p.id(), p.used(), p.reserved(), clock.millis()));
            } catch (BudgetStoreUnavailableException e) {
                break;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Replaying budget usage failed; will retry", e);
                break;
            }
            ledger.done(p);
            markReachable();
            requests += p.requests();
            tokens += p.used().getFirst().tokens();
        }
        if (requests > 0) {
            metrics.budgetReplayed(requests);
            LOG.log(Level.INFO, "Replayed the usage of " + requests + " requests (" + tokens + " tokens per budget) "
                                + "admitted during the budget store outage into " + store.describe());
        }
    }

    /** Extends the reservations of requests still running, so a long stream does not lose what it holds. */
    private void renew() {
        long now = clock.millis();
        List<String> ids = new ArrayList<>();
        for (Reservation r : live.values()) {
            if (now - r.renewedAt >= ttlMillis / 3) {
                ids.add(r.id);
                r.renewedAt = now;
            }
        }
        if (!ids.isEmpty()) {
            try {
                store.renew(ids, now + ttlMillis);
            } catch (BudgetStoreUnavailableException e) {
                unreachable("renew", e);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Renewing budget reservations failed", e);
            }
        }
    }

    private void warm(List<Counter> counters) {
        try {
            remember(store.read(counters));
        } catch (BudgetStoreUnavailableException e) {
            unreachable("read", e);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Reading budget counters failed", e);
        } finally {
            counters.forEach(c -> warming.remove(c.id()));
        }
    }

    private <T> T call(String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (BudgetStoreUnavailableException e) {
            unreachable(operation, e);
            throw BudgetErrors.unavailable();
        }
    }

    private void remember(List<CounterState> states) {
        if (known.size() > MAX_CACHED_COUNTERS) {
            Instant now = clock.instant();
            known.values().removeIf(s -> !s.counter().windowEnd().isAfter(now));
            if (known.size() > MAX_CACHED_COUNTERS) {
                known.clear();
            }
        }
        for (CounterState s : states) {
            known.put(s.counter().id(), s);
            BudgetStatus status = s.status();
            metrics.budget(status.budget(), status.key(), status.windowEnd().getEpochSecond(), status.limitTokens(),
                           status.usedTokens(), status.remainingTokens(), status.limitNanos(), status.usedNanos(),
                           status.remainingNanos());
        }
    }

    private void reachable(String operation, long startedNanos) {
        metrics.budgetStoreCall(operation, System.nanoTime() - startedNanos);
        markReachable();
    }

    private void markReachable() {
        if (storeReachable.compareAndSet(false, true)) {
            LOG.log(Level.INFO, "Budget store " + store.describe() + " is reachable again"
                                + (ledger.isEmpty() ? "" : "; replaying the usage kept meanwhile"));
        }
    }

    private void unreachable(String operation, BudgetStoreUnavailableException e) {
        metrics.budgetStoreError(operation);
        if (storeReachable.compareAndSet(true, false)) {
            LOG.log(Level.WARNING, "Budget store " + store.describe() + " is unreachable (" + e.getMessage() + "); "
                                   + (failureMode == FailureMode.FAIL_OPEN
                                      ? "failure-mode fail-open: admitting requests and keeping their usage to "
                                        + "replay when it is back"
                                      : "failure-mode fail-closed: refusing requests with 503 until it is back"));
        }
    }

    /** The most the request can use, held against each budget's counter for this subject. */
    private List<Charge> charges(Subject subject, String model, Estimate estimate, long completion, Instant at) {
        long tokens = estimate.promptTokens() + completion;
        long nanos = estimate.model().map(m -> m.price().maxCostNanos(estimate.promptTokens(), completion))
                .orElse(0L);
        List<Charge> charges = new ArrayList<>(budgets.size());
        for (Budget b : budgets) {
            charges.add(new Charge(Counter.of(b, Scope.key(b.scope(), subject, model), at), tokens, nanos));
        }
        return charges;
    }

    /**
     * The request with the completion limit that was reserved, when the app set none: the gateway then cannot
     * produce more than the reservation covers.
     */
    private static ChatRequest withCompletionLimit(ChatRequest request, Estimate estimate) {
        if (request.maxTokens().isPresent()) {
            return request;
        }
        int limit = (int) Math.min(Integer.MAX_VALUE, estimate.maxCompletionTokens());
        return request.withPatch(new RequestPatch(Optional.empty(), OptionalInt.of(limit)));
    }

    /** {@code n} completions cost {@code n} times the completion tokens. */
    private static int choices(ChatRequest request) {
        var n = request.json().get("n");
        return n != null && n.canConvertToInt() && n.intValue() > 1 ? n.intValue() : 1;
    }

    private static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }

    private static String describe(BudgetsConfig config, BudgetStore store) {
        if (!config.enabled()) {
            return "none configured";
        }
        return config.budgets().size() + " budgets, " + config.rateLimits().size() + " rate limits in "
               + store.describe() + " (" + config.store().failureMode().label() + ")";
    }
}
