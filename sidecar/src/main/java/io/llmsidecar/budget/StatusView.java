package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * What policies see as {@code input.budgets}: a short-lived local view of the counters, kept from the states every
 * reserve and settle call returns, so evaluating a policy costs no round trip. A counter this sidecar has not seen
 * yet, or has not seen for {@link #MAX_AGE_MILLIS} (other replicas spend from it too), is read in the background; the
 * store's atomic reservation, not this view, is what keeps a budget from overshooting.
 */
final class StatusView {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());
    private static final int MAX_CACHED_COUNTERS = 10_000;
    static final long MAX_AGE_MILLIS = 2_000;

    private record Seen(CounterState state, long at) {
    }

    private final List<Budget> budgets;
    private final BudgetStore store;
    private final StoreHealth health;
    private final SidecarMetrics metrics;
    private final Clock clock;
    private final ExecutorService reader;
    private final Map<String, Seen> known = new ConcurrentHashMap<>();
    private final Set<String> warming = ConcurrentHashMap.newKeySet();

    StatusView(List<Budget> budgets, BudgetStore store, StoreHealth health, SidecarMetrics metrics, Clock clock,
               ExecutorService reader) {
        this.budgets = budgets;
        this.store = store;
        this.health = health;
        this.metrics = metrics;
        this.clock = clock;
        this.reader = reader;
    }

    List<BudgetStatus> statuses(Subject subject, String model) {
        Instant now = clock.instant();
        long nowMillis = now.toEpochMilli();
        List<BudgetStatus> statuses = new ArrayList<>(budgets.size());
        List<Counter> stale = null;
        for (Budget b : budgets) {
            Counter counter = Counter.of(b, Scope.key(b.scope(), subject, model), now);
            Seen seen = known.get(counter.id());
            if ((seen == null || nowMillis - seen.at() > MAX_AGE_MILLIS) && warming.add(counter.id())) {
                (stale == null ? stale = new ArrayList<>() : stale).add(counter);
            }
            statuses.add((seen == null ? CounterState.empty(counter) : seen.state()).status());
        }
        if (stale != null) {
            List<Counter> fetch = stale;
            try {
                reader.execute(() -> read(fetch));
            } catch (RuntimeException e) {
                fetch.forEach(c -> warming.remove(c.id()));
            }
        }
        return statuses;
    }

    void remember(List<CounterState> states) {
        long now = clock.millis();
        if (known.size() > MAX_CACHED_COUNTERS) {
            Instant at = Instant.ofEpochMilli(now);
            known.values().removeIf(s -> !s.state().counter().windowEnd().isAfter(at));
            if (known.size() > MAX_CACHED_COUNTERS) {
                known.clear();
            }
        }
        for (CounterState s : states) {
            known.put(s.counter().id(), new Seen(s, now));
            BudgetStatus status = s.status();
            metrics.budget(status.budget(), status.key(), status.windowEnd().getEpochSecond(), status.limitTokens(),
                           status.usedTokens(), status.remainingTokens(), status.limitNanos(), status.usedNanos(),
                           status.remainingNanos());
        }
    }

    void forget(Counter counter) {
        known.remove(counter.id());
    }

    void read(List<Counter> counters) {
        long started = System.nanoTime();
        try {
            remember(store.read(counters));
            health.answered("read", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("read", e);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Reading budget counters failed", e);
        } finally {
            counters.forEach(c -> warming.remove(c.id()));
        }
    }
}
