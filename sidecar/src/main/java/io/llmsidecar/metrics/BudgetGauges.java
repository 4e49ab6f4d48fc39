package io.llmsidecar.metrics;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code llm_sidecar_budget_*} gauges, one series per budget and key, in base units ({@code tokens} and {@code usd}).
 * Keys come from requests (teams, users), so each budget exports at most {@value #KEYS_PER_BUDGET}; the usage of
 * the rest is summed under {@code other}.
 */
final class BudgetGauges {
    static final int KEYS_PER_BUDGET = 100;
    /** Past this many overflow keys per budget, more are left out of {@code other} rather than grow memory. */
    private static final int OVERFLOW_KEYS = 10_000;

    private final Gauge limit;
    private final Gauge used;
    private final Gauge remaining;
    private final Gauge windowEnd;
    private final Map<String, BoundedLabel> keys = new ConcurrentHashMap<>();
    private final Map<String, Overflow> overflow = new ConcurrentHashMap<>();
    /** The series of each budget and key, looked up once: this runs twice per request. */
    private final Map<String, Series> series = new ConcurrentHashMap<>();

    private record Series(Gauge.Child usedTokens, Gauge.Child usedUsd, Gauge.Child limitTokens, Gauge.Child limitUsd,
                          Gauge.Child remainingTokens, Gauge.Child remainingUsd, Gauge.Child windowEnd) {
    }

    BudgetGauges(CollectorRegistry registry) {
        limit = Gauge.build(SidecarMetrics.PREFIX + "budget_limit", "A budget's limit per window.")
                .labelNames("budget", "key", "unit").register(registry);
        used = Gauge.build(SidecarMetrics.PREFIX + "budget_used", "Settled usage of a budget in its current window.")
                .labelNames("budget", "key", "unit").register(registry);
        remaining = Gauge.build(SidecarMetrics.PREFIX + "budget_remaining",
                                "What a budget still admits: limit minus usage minus in-flight reservations.")
                .labelNames("budget", "key", "unit").register(registry);
        windowEnd = Gauge.build(SidecarMetrics.PREFIX + "budget_window_end_timestamp_seconds",
                                "When a budget's current window ends and its usage starts again from zero.")
                .labelNames("budget", "key").register(registry);
    }

    void set(String budget, String key, long windowEndSeconds, OptionalLong limitTokens, long usedTokens,
             OptionalLong remainingTokens, OptionalLong limitNanos, long usedNanos, OptionalLong remainingNanos) {
        String label = keys.computeIfAbsent(budget, b -> new BoundedLabel(KEYS_PER_BUDGET)).of(key);
        if (label.equals(BoundedLabel.OTHER)) {
            long[] sum = overflow.computeIfAbsent(budget, b -> new Overflow()).update(key, windowEndSeconds,
                                                                                     usedTokens, usedNanos);
            used.labels(budget, label, "tokens").set(sum[0]);
            used.labels(budget, label, "usd").set(sum[1] / 1e9);
            windowEnd.labels(budget, label).set(windowEndSeconds);
            return;
        }
        Series s = series.computeIfAbsent(budget + '\n' + label, k -> new Series(
                used.labels(budget, label, "tokens"), used.labels(budget, label, "usd"),
                limitTokens.isPresent() ? limit.labels(budget, label, "tokens") : null,
                limitNanos.isPresent() ? limit.labels(budget, label, "usd") : null,
                remainingTokens.isPresent() ? remaining.labels(budget, label, "tokens") : null,
                remainingNanos.isPresent() ? remaining.labels(budget, label, "usd") : null,
                windowEnd.labels(budget, label)));
        s.usedTokens().set(usedTokens);
        s.usedUsd().set(usedNanos / 1e9);
        if (s.limitTokens() != null) {
            s.limitTokens().set(limitTokens.orElse(0));
            s.remainingTokens().set(remainingTokens.orElse(0));
        }
        if (s.limitUsd() != null) {
            s.limitUsd().set(limitNanos.orElse(0) / 1e9);
            s.remainingUsd().set(remainingNanos.orElse(0) / 1e9);
        }
        s.windowEnd().set(windowEndSeconds);
    }

    /** The last usage of each overflow key in the current window, and their sum. */
    private static final class Overflow {
        private final Map<String, long[]> byKey = new HashMap<>();
        private long window;
        private long tokens;
        private long nanos;

        /** Records one key's usage and returns the sum over all overflow keys: tokens, nano-USD. */
        synchronized long[] update(String key, long windowEndSeconds, long usedTokens, long usedNanos) {
            if (windowEndSeconds > window) {
                window = windowEndSeconds;
                byKey.clear();
                tokens = 0;
                nanos = 0;
            } else if (windowEndSeconds < window) {
                return new long[] {tokens, nanos};
            }
            long[] previous = byKey.get(key);
            if (previous == null && byKey.size() >= OVERFLOW_KEYS) {
                return new long[] {tokens, nanos};
            }
            byKey.put(key, new long[] {usedTokens, usedNanos});
            tokens += usedTokens - (previous == null ? 0 : previous[0]);
            nanos += usedNanos - (previous == null ? 0 : previous[1]);
            return new long[] {tokens, nanos};
        }
    }
}
