package io.llmsidecar.budget;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Where budget counters and rate-limit buckets live: in this process or in Redis. Every method is one atomic step of
 * the store (one Lua script, one round trip, in Redis), so replicas sharing a store can never admit more than a
 * budget holds. Business outcomes are values; only an unreachable store throws
 * ({@link BudgetStoreUnavailableException}).
 *
 * <p>A reservation is a set of charges under an id. It holds budget until it is settled, or until it expires: a
 * reservation whose sidecar died is charged or released ({@link ExpiredReservations}) by the next call that finds it
 * past its expiry.
 */
interface BudgetStore extends AutoCloseable {
    /**
     * Admits a request: takes every rate-limit take, or none if a bucket is short; then reserves every charge, or
     * none: each counter's usage plus reservations plus the charge must stay within its limits. Expired reservations
     * are ended first.
     *
     * <p>A call that reaches the store after {@code deadlineMillis}, or under an id the store has seen before, does
     * nothing and answers {@link ReserveResult.Late}: a reservation must never outlive the request that made it,
     * and a command executed after its caller gave up on it (a hung or partitioned Redis runs its backlog when it
     * comes back) has no owner left to settle it.
     *
     * @param deadlineMillis on the caller's clock, like {@code nowMillis}: when the caller stops waiting
     */
    ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                          long nowMillis, long deadlineMillis);

    default ReserveResult reserve(String id, List<Charge> charges, List<RateTake> takes, long expiresAtMillis,
                                  long nowMillis) {
        return reserve(id, charges, takes, expiresAtMillis, nowMillis, Long.MAX_VALUE);
    }

    default ReserveResult reserve(String id, List<Charge> charges, long expiresAtMillis, long nowMillis) {
        return reserve(id, charges, List.of(), expiresAtMillis, nowMillis);
    }

    /**
     * Replaces reservation {@code id} with the usage that happened: its held amounts are released and
     * {@code used} is added. Idempotent per id, so a settlement retried after an outage cannot count twice.
     * {@code completion} is taken from token rate limits even past their limit (not idempotent: it is not replayed).
     *
     * @param reserved whether {@code id} was reserved in this store; false for requests admitted while it was
     *                 unreachable, whose usage is added once. With false the id is remembered, so that a reservation
     *                 under it that runs later does nothing, and one that ran unseen is released: zero usage
     *                 cancels an id.
     */
    List<CounterState> settle(String id, List<Charge> used, List<RateTake> completion, boolean reserved,
                              long nowMillis);

    default List<CounterState> settle(String id, List<Charge> used, boolean reserved, long nowMillis) {
        return settle(id, used, List.of(), reserved, nowMillis);
    }

    /** Moves the expiry of live reservations, so a long stream keeps what it reserved. */
    void renew(Collection<String> ids, long expiresAtMillis);

    /** The current state of these counters (zero for counters the store has never seen). */
    List<CounterState> read(List<Counter> counters);

    /** Every counter of these budgets in the windows {@code now} falls in, across all replicas. */
    List<CounterState> list(List<Budget> budgets, Instant now);

    /** Sets a counter's usage back to zero, keeping what in-flight requests hold; false if it does not exist. */
    boolean reset(Counter counter);

    /** One round trip that does nothing: whether the store answers. */
    void ping();

    /** For the startup log: which store, never a password. */
    String describe();

    @Override
    void close();
}
