package io.llmsidecar.budget;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory store, unreachable while {@code down} (calls refused unsent, as Lettuce does while disconnected);
 * while {@code answersLost}, calls run but time out (a hung Redis that runs them later, or lost answers). Counts
 * the calls that reach it.
 */
final class FlakyStore implements BudgetStore {
    final InMemoryBudgetStore store = new InMemoryBudgetStore();
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean down;
    volatile boolean answersLost;

    private void check() {
        calls.incrementAndGet();
        if (down) {
            throw new BudgetStoreUnavailableException("down for the test", null, false);
        }
    }

    private <T> T lose(T answer) {
        if (answersLost) {
            throw new BudgetStoreUnavailableException("timed out for the test", null, true);
        }
        return answer;
    }

    @Override
    public ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                                 long nowMillis, long deadlineMillis) {
        check();
        return lose(store.reserve(id, charges, takes, expiresAtMillis, nowMillis, deadlineMillis));
    }

    @Override
    public List<CounterState> settle(String id, List<Charge> used, List<RateTake> completion, boolean reserved,
                                     long nowMillis) {
        check();
        return lose(store.settle(id, used, completion, reserved, nowMillis));
    }

    @Override
    public void ping() {
        check();
    }

    @Override
    public void renew(Collection<String> ids, long expiresAtMillis) {
        check();
        store.renew(ids, expiresAtMillis);
    }

    @Override
    public List<CounterState> read(List<Counter> counters) {
        check();
        return store.read(counters);
    }

    @Override
    public List<CounterState> list(List<Budget> budgets, Instant now) {
        check();
        return store.list(budgets, now);
    }

    @Override
    public boolean reset(Counter counter) {
        check();
        return store.reset(counter);
    }

    @Override
    public String describe() {
        return "flaky";
    }

    @Override
    public void close() {
    }
}
