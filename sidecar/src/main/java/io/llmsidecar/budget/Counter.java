package io.llmsidecar.budget;

import java.time.Instant;

/**
 * One budget's counter for one scope key in one window. A reservation remembers its counters, so a request that
 * starts before midnight is settled against the day it was admitted in.
 */
record Counter(Budget budget, String key, Instant windowStart) {
    static Counter of(Budget budget, String key, Instant now) {
        return new Counter(budget, key, budget.window().start(now));
    }

    Instant windowEnd() {
        return budget.window().end(windowStart);
    }

    /** Identifies the counter in a store: budget, window and key, in that order (the key may contain ':'). */
    String id() {
        return budget.name() + ":" + windowStart.getEpochSecond() + ":" + key;
    }

    long limitTokens() {
        return budget.limitTokens().orElse(-1);
    }

    long limitNanos() {
        return budget.limitNanos().orElse(-1);
    }
}
