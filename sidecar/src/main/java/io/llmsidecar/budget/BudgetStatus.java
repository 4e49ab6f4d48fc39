package io.llmsidecar.budget;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * The state of one budget counter (one budget, one scope key) in its current window: what the admin API lists and
 * what policies see as {@code input.budgets}. Money is nano-USD; a budget without a token or a USD limit has that
 * limit empty.
 *
 * @param budget         the configured budget's name
 * @param key            the scope values this counter belongs to, e.g. {@code team=payments}
 * @param reservedTokens tokens held by requests still in flight (included in {@code usedTokens}' headroom check)
 */
public record BudgetStatus(String budget, String key, Instant windowStart, Instant windowEnd,
                           OptionalLong limitTokens, long usedTokens, long reservedTokens,
                           OptionalLong limitNanos, long usedNanos, long reservedNanos) {
    public OptionalLong remainingTokens() {
        return limitTokens.isPresent()
                ? OptionalLong.of(Math.max(0, limitTokens.getAsLong() - usedTokens - reservedTokens))
                : OptionalLong.empty();
    }

    public OptionalLong remainingNanos() {
        return limitNanos.isPresent()
                ? OptionalLong.of(Math.max(0, limitNanos.getAsLong() - usedNanos - reservedNanos))
                : OptionalLong.empty();
    }
}
