package io.llmsidecar.budget;

/** What a store holds for a counter: settled usage and what in-flight reservations hold on top of it. */
record CounterState(Counter counter, long usedTokens, long reservedTokens, long usedNanos, long reservedNanos) {
    static CounterState empty(Counter counter) {
        return new CounterState(counter, 0, 0, 0, 0);
    }

    BudgetStatus status() {
        Budget b = counter.budget();
        return new BudgetStatus(b.name(), counter.key(), counter.windowStart(), counter.windowEnd(),
                                b.limitTokens(), usedTokens, reservedTokens, b.limitNanos(), usedNanos, reservedNanos);
    }

    /** Whether {@code charge} fits beside what is used and reserved: the test every store applies atomically. */
    static boolean fits(long limit, long used, long reserved, long amount) {
        return limit < 0 || used + reserved + amount <= limit;
    }
}
