package io.llmsidecar.budget;

/**
 * What one request takes from one rate-limit bucket: a request from the requests bucket, or tokens from the tokens
 * bucket. Stores apply a request's takes together with its budget charges, in one step.
 *
 * @param key the scope key, e.g. {@code team=payments}
 */
record RateTake(RateLimit limit, String key, Unit unit, long amount) {
    /** Which of a limit's two buckets. */
    enum Unit {
        REQUESTS, TOKENS;

        String label() {
            return this == REQUESTS ? "requests" : "tokens";
        }
    }

    /** The bucket's id in a store: limit, key and unit. */
    String bucketId() {
        return limit.name() + ":" + key + ":" + unit.label();
    }

    /** The bucket's size, refilled evenly over a minute. */
    long perMinute() {
        return unit == Unit.REQUESTS ? limit.requestsPerMinute() : limit.tokensPerMinute().orElseThrow();
    }

    RateTake withAmount(long newAmount) {
        return new RateTake(limit, key, unit, newAmount);
    }
}
