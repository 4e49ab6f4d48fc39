package io.llmsidecar.budget;

import java.time.Instant;

/**
 * One budget's counter for one scope key in one window. A reservation remembers its counters, so a request that
 * starts before midnight is settled against the day it was admitted in.
 *
 * @param id identifies the counter in a store: budget, window start and key, in that order (the key may contain
 *           ':'); derived once, since every store lookup uses it
 */
record Counter(Budget budget, String key, Instant windowStart, Instant windowEnd, String id) {
    static Counter of(Budget budget, String key, Instant now) {
        Instant start = budget.window().start(now);
        return new Counter(budget, key, start, budget.window().end(start),
                           budget.name() + ":" + start.getEpochSecond() + ":" + key);
    }

    long limitTokens() {
        return budget.limitTokens().orElse(-1);
    }

    long limitNanos() {
        return budget.limitNanos().orElse(-1);
    }
}
