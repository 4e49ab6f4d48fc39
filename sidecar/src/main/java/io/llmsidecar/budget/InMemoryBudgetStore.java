package io.llmsidecar.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The embedded store: the same semantics as {@link RedisBudgetStore} for a single process, under one lock (every
 * operation is a few map updates, far below a microsecond of work, so contention is not worth finer locks). Rate
 * limits are Bucket4j buckets ({@link LocalBuckets}), taken before the budgets are checked, as Redis does.
 */
final class InMemoryBudgetStore implements BudgetStore {
    /** Counters outlive their window by this much, so late settlements still find them (as in Redis). */
    static final Duration KEEP_AFTER_WINDOW = Duration.ofDays(1);
    /** How long a settled or expired reservation id is remembered, which is what makes settling idempotent. */
    static final Duration REMEMBER_SETTLED = Duration.ofDays(1);
    private static final long SWEEP_EVERY_MILLIS = 60_000;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Entry> counters = new HashMap<>();
    private final Map<String, Held> reservations = new HashMap<>();
    /**
     * The expiry of every reservation held, and only those: a settled reservation's is removed with it. (A queue that
     * kept settled ones until their time came held one entry per request of the last reservation TTL: some 30,000 in
     * 20 s at 1,700 requests/s, growing with the TTL; see docs/BENCHMARKS.md, issue 19.)
     */
    private final TreeSet<Expiry> expiries = new TreeSet<>();
    private final LocalBuckets buckets = new LocalBuckets();
    private final ExpiredReservations expiredMode;
    private final LongConsumer onExpired;
    /** Reservations that expired unsettled, or were settled without a reservation, until they are forgotten. */
    private final Map<String, Remembered> remembered = new HashMap<>();
    private long nextSweep;

    private static final class Entry {
        final Counter counter;
        long usedTokens;
        long reservedTokens;
        long usedNanos;
        long reservedNanos;

        Entry(Counter counter) {
            this.counter = counter;
        }

        CounterState state() {
            return new CounterState(counter, usedTokens, reservedTokens, usedNanos, reservedNanos);
        }
    }

    private static final class Held {
        final List<Charge> charges;
        long expiresAt;

        Held(List<Charge> charges, long expiresAt) {
            this.charges = charges;
            this.expiresAt = expiresAt;
        }
    }

    private enum Fate { EXPIRED, CHARGED, SETTLED }

    /** {@code held} is kept for a charged reservation, whose late settlement takes the charge back. */
    private record Remembered(Fate fate, long forgetAt, Held held) {
        Remembered(Fate fate, long forgetAt) {
            this(fate, forgetAt, null);
        }
    }

    InMemoryBudgetStore(ExpiredReservations expiredMode, LongConsumer onExpired) {
        this.expiredMode = expiredMode;
        this.onExpired = onExpired;
    }

    /** Charges expired reservations and counts expiries nowhere: for tests. */
    InMemoryBudgetStore() {
        this(ExpiredReservations.CHARGE, n -> { });
    }

    private record Expiry(long at, String id) implements Comparable<Expiry> {
        @Override
        public int compareTo(Expiry o) {
            int byTime = Long.compare(at, o.at);
            return byTime != 0 ? byTime : id.compareTo(o.id);
        }
    }

    @Override
    public ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                                 long nowMillis, long deadlineMillis) {
        // Nothing here runs late, but the contract is the store's: past its deadline, or under an id seen before, a
        // reservation does nothing (as reserve.lua).
        lock.lock();
        try {
            if (nowMillis > deadlineMillis || reservations.containsKey(id) || remembered.containsKey(id)) {
                return new ReserveResult.Late(statesOf(charges));
            }
        } finally {
            lock.unlock();
        }
        ReserveResult.RateLimited limited = takes.isEmpty() ? null : buckets.take(takes);
        lock.lock();
        try {
            expire(nowMillis);
            if (limited != null) {
                return new ReserveResult.RateLimited(limited.index(), limited.waitNanos(), statesOf(charges));
            }
            if (charges.isEmpty()) {
                return new ReserveResult.Reserved(List.of());
            }
            List<Entry> entries = new ArrayList<>(charges.size());
            for (Charge c : charges) {
                entries.add(counters.computeIfAbsent(c.counter().id(), k -> new Entry(c.counter())));
            }
            for (int i = 0; i < charges.size(); i++) {
                Charge c = charges.get(i);
                Entry e = entries.get(i);
                if (!CounterState.fits(c.counter().limitTokens(), e.usedTokens, e.reservedTokens, c.tokens())
                    || !CounterState.fits(c.counter().limitNanos(), e.usedNanos, e.reservedNanos, c.nanos())) {
                    return new ReserveResult.Exceeded(i, states(entries));
                }
            }
            for (int i = 0; i < charges.size(); i++) {
                entries.get(i).reservedTokens += charges.get(i).tokens();
                entries.get(i).reservedNanos += charges.get(i).nanos();
            }
            reservations.put(id, new Held(List.copyOf(charges), expiresAtMillis));
            expiries.add(new Expiry(expiresAtMillis, id));
            return new ReserveResult.Reserved(states(entries));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<CounterState> settle(String id, List<Charge> used, List<RateTake> completion, boolean reserved,
                                     long nowMillis) {
        buckets.overdraw(completion);
        if (used.isEmpty()) {
            return List.of();
        }
        lock.lock();
        try {
            boolean apply;
            Held held = reservations.remove(id);
            Remembered known = remembered.get(id);
            if (held != null) {
                expiries.remove(new Expiry(held.expiresAt, id));
                release(held);
                apply = true;
                if (!reserved) {
                    // The caller took its reservation for failed; remember, since it will not know.
                    remembered.put(id, new Remembered(Fate.SETTLED, nowMillis + REMEMBER_SETTLED.toMillis()));
                }
            } else if (known != null) {
                apply = known.fate() != Fate.SETTLED;
                if (known.fate() == Fate.CHARGED) {
                    unrelease(known.held());
                }
                remembered.put(id, new Remembered(Fate.SETTLED, known.forgetAt()));
            } else {
                // A reserved id that is neither held nor remembered was settled already.
                apply = !reserved;
                if (apply) {
                    remembered.put(id, new Remembered(Fate.SETTLED, nowMillis + REMEMBER_SETTLED.toMillis()));
                }
            }
            List<Entry> entries = new ArrayList<>(used.size());
            for (Charge c : used) {
                Entry e = counters.computeIfAbsent(c.counter().id(), k -> new Entry(c.counter()));
                if (apply) {
                    e.usedTokens += c.tokens();
                    e.usedNanos += c.nanos();
                }
                entries.add(e);
            }
            return states(entries);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void renew(Collection<String> ids, long expiresAtMillis) {
        lock.lock();
        try {
            for (String id : ids) {
                Held held = reservations.get(id);
                if (held != null) {
                    expiries.remove(new Expiry(held.expiresAt, id));
                    held.expiresAt = expiresAtMillis;
                    expiries.add(new Expiry(expiresAtMillis, id));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<CounterState> read(List<Counter> wanted) {
        lock.lock();
        try {
            List<CounterState> states = new ArrayList<>(wanted.size());
            for (Counter c : wanted) {
                Entry e = counters.get(c.id());
                states.add(e == null ? CounterState.empty(c) : e.state());
            }
            return states;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<CounterState> list(List<Budget> budgets, Instant now) {
        lock.lock();
        try {
            expire(now.toEpochMilli());
            List<CounterState> states = new ArrayList<>();
            for (Budget b : budgets) {
                Instant start = b.window().start(now);
                for (Entry e : counters.values()) {
                    if (e.counter.budget().name().equals(b.name()) && e.counter.windowStart().equals(start)) {
                        states.add(e.state());
                    }
                }
            }
            return states;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean reset(Counter counter) {
        lock.lock();
        try {
            Entry e = counters.get(counter.id());
            if (e == null) {
                return false;
            }
            e.usedTokens = 0;
            e.usedNanos = 0;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** How many reservation expiries are held: one per reservation held, for tests. */
    int heldExpiries() {
        lock.lock();
        try {
            return expiries.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void ping() {
    }

    @Override
    public String describe() {
        return "in-memory (this process only)";
    }

    @Override
    public void close() {
    }

    /**
     * Charges or releases reservations past their expiry; remembers them so a late settlement bills the real usage
     * once and frees nothing twice.
     */
    private void expire(long now) {
        long expired = 0;
        while (!expiries.isEmpty() && expiries.first().at() <= now) {
            // The set holds one expiry per reservation held, its current one: what comes out is always due.
            Expiry next = expiries.pollFirst();
            Held held = reservations.remove(next.id());
            if (held != null) {
                release(held);
                long forgetAt = now + REMEMBER_SETTLED.toMillis();
                if (expiredMode == ExpiredReservations.CHARGE) {
                    charge(held, 1);
                    remembered.put(next.id(), new Remembered(Fate.CHARGED, forgetAt, held));
                } else {
                    remembered.put(next.id(), new Remembered(Fate.EXPIRED, forgetAt));
                }
                expired++;
            }
        }
        if (expired > 0) {
            onExpired.accept(expired);
        }
        if (now >= nextSweep) {
            nextSweep = now + SWEEP_EVERY_MILLIS;
            remembered.values().removeIf(r -> r.forgetAt() < now);
            counters.values().removeIf(
                    e -> e.counter.windowEnd().toEpochMilli() + KEEP_AFTER_WINDOW.toMillis() < now
                         && e.reservedTokens == 0 && e.reservedNanos == 0);
        }
    }

    private void release(Held held) {
        for (Charge c : held.charges) {
            Entry e = counters.get(c.counter().id());
            if (e != null) {
                e.reservedTokens -= c.tokens();
                e.reservedNanos -= c.nanos();
            }
        }
    }

    /** Takes back the charge of an expired reservation: its late settlement bills the real usage instead. */
    private void unrelease(Held held) {
        charge(held, -1);
    }

    private void charge(Held held, int sign) {
        for (Charge c : held.charges) {
            Entry e = counters.get(c.counter().id());
            if (e != null) {
                e.usedTokens += sign * c.tokens();
                e.usedNanos += sign * c.nanos();
            }
        }
    }

    private List<CounterState> statesOf(List<Charge> charges) {
        List<CounterState> states = new ArrayList<>(charges.size());
        for (Charge c : charges) {
            Entry e = counters.get(c.counter().id());
            states.add(e == null ? CounterState.empty(c.counter()) : e.state());
        }
        return states;
    }

    private static List<CounterState> states(List<Entry> entries) {
        List<CounterState> states = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            states.add(e.state());
        }
        return states;
    }
}
