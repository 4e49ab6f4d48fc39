package io.llmsidecar.budget;

import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.pricing.Usd;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** The refusals of the budget capability, in the OpenAI error shape with a {@code Retry-After} header. */
final class BudgetErrors {
    private BudgetErrors() {
    }

    /** 429 {@code budget_exceeded}: names the budget and key, what is spent, and when to try again. */
    static SidecarException exceeded(CounterState state, Charge charge, Instant now) {
        Counter counter = state.counter();
        boolean tokens = !CounterState.fits(counter.limitTokens(), state.usedTokens(), state.reservedTokens(),
                                            charge.tokens());
        long limit = tokens ? counter.limitTokens() : counter.limitNanos();
        long used = tokens ? state.usedTokens() : state.usedNanos();
        long reserved = tokens ? state.reservedTokens() : state.reservedNanos();
        long needed = tokens ? charge.tokens() : charge.nanos();
        StringBuilder m = new StringBuilder(200)
                .append("Budget '").append(counter.budget().name()).append("' for ").append(counter.key())
                .append(" cannot cover this request: ").append(amount(used, tokens)).append(" of ")
                .append(amount(limit, tokens)).append(" used");
        if (reserved > 0) {
            m.append(" and ").append(amount(reserved, tokens)).append(" held by requests in flight");
        }
        m.append("; this request may need up to ").append(amount(needed, tokens)).append(". ");
        long retryAfter;
        if (used + needed <= limit) {
            m.append("Requests in flight hold the rest and will release what they do not use; retry shortly.");
            retryAfter = 1;
        } else {
            if (needed > limit) {
                m.append("Set a lower max_tokens: this request alone needs more than the whole budget. ");
            }
            m.append("The budget resets at ").append(counter.windowEnd()).append('.');
            retryAfter = Math.max(1, Duration.between(now, counter.windowEnd()).toSeconds() + 1);
        }
        return new SidecarException(ErrorKind.BUDGET_EXCEEDED, 429, ErrorTypes.INSUFFICIENT_QUOTA, "budget_exceeded",
                                    null, m.toString())
                .withHeader("Retry-After", Long.toString(retryAfter));
    }

    /** 429 {@code rate_limited}: names the limit and key and when the bucket has room again. */
    static SidecarException rateLimited(RateTake take, long waitNanos) {
        long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        RateLimit limit = take.limit();
        String per = switch (take.unit()) {
            case REQUESTS -> limit.requestsPerMinute() + " requests per minute";
            case TOKENS -> limit.tokensPerMinute().orElse(0) + " tokens per minute";
        };
        return new SidecarException(ErrorKind.RATE_LIMITED, 429, ErrorTypes.RATE_LIMIT, "rate_limited", null,
                                    "Rate limit '" + limit.name() + "' for " + take.key() + " (" + per
                                    + ") is reached. Retry in " + seconds + " s.")
                .withHeader("Retry-After", Long.toString(seconds));
    }

    /** 503 {@code budget_backend_unavailable}: the store is down and the deployment chose fail-closed. */
    static SidecarException unavailable() {
        return new SidecarException(ErrorKind.SIDECAR_FAILURE, 503, ErrorTypes.SERVER, "budget_backend_unavailable",
                                    null,
                                    "The budget store cannot be reached and budget-store.failure-mode is "
                                    + "fail-closed, so no request is admitted until it is back.")
                .withHeader("Retry-After", "1");
    }

    /** 503 {@code budget_backend_unavailable}: the store has never answered since start (fail-open does not apply). */
    static SidecarException neverReachable() {
        return new SidecarException(ErrorKind.SIDECAR_FAILURE, 503, ErrorTypes.SERVER, "budget_backend_unavailable",
                                    null,
                                    "The budget store has not been reachable since the sidecar started, which "
                                    + "looks like a misconfiguration (see the sidecar's ERROR log); fail-open only "
                                    + "covers outages of a store that was working, so no request is admitted.")
                .withHeader("Retry-After", "5");
    }

    static SidecarException notFound(String what) {
        return new SidecarException(ErrorKind.INVALID, 404, ErrorTypes.INVALID_REQUEST, "not_found", null, what);
    }

    private static String amount(long value, boolean tokens) {
        return tokens ? String.format(Locale.ROOT, "%,d tokens", value)
                : "$" + Usd.toDecimal(value).toPlainString();
    }
}
