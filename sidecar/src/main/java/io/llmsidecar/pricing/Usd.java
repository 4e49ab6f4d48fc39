package io.llmsidecar.pricing;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Money arithmetic. Amounts are {@code long} nano-USD (1e-9 USD) and prices {@code long} pico-USD per token, so
 * sums are exact and a gateway price such as "0.075000" USD per million tokens (75,000 pico-USD per token) is
 * represented without rounding. Nano-USD keeps the rounding error of one request's cost below half a nano-dollar,
 * where micro-USD would misprice a 15-token request to a cheap model by a quarter; it still allows budgets up to
 * {@link #MAX_BUDGET_NANOS} inside Redis, whose Lua numbers are doubles exact to 2^53.
 */
public final class Usd {
    public static final long NANOS_PER_USD = 1_000_000_000L;
    /** 2^53 nano-USD, about 9 million USD: the largest amount Redis Lua arithmetic keeps exact. */
    public static final long MAX_BUDGET_NANOS = 1L << 53;

    private Usd() {
    }

    /** USD per million tokens, as the gateway and the config state prices, to pico-USD per token. */
    public static long picoPerTokenFromPerMillion(BigDecimal usdPerMillion) {
        // USD/1e6 tokens = USD*1e-6 per token = USD*1e6 pico-USD per token.
        return usdPerMillion.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    public static long nanos(BigDecimal usd) {
        return usd.movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    public static double toDouble(long nanos) {
        return nanos / (double) NANOS_PER_USD;
    }

    public static BigDecimal toDecimal(long nanos) {
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros();
    }

    /** Pico-USD rounded half-up to nano-USD; costs are summed in pico-USD and rounded once. */
    public static long picoToNanos(long pico) {
        return (pico + 500) / 1000;
    }
}
