package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;

/**
 * Requests and tokens per minute per scope tuple. Tokens are counted in two steps: a request must find room for its
 * prompt to be admitted, and its completion is taken afterwards even past the limit, so the next requests wait until
 * the minute has paid for it.
 */
interface RateLimiter extends AutoCloseable {
    /** Takes one request and the prompt's tokens from every limit, or nothing if any limit is spent. */
    RateDecision admit(Subject subject, String model, long promptTokens);

    /** Takes the completion's tokens after the response. */
    void recordCompletion(Subject subject, String model, long completionTokens);

    @Override
    void close();

    /** The answer of {@link #admit}: a value, not an exception. */
    sealed interface RateDecision {
        RateDecision ADMITTED = new Admitted();

        record Admitted() implements RateDecision {
        }

        /** {@code limit} has nothing left for {@code key}; {@code unit} is requests or tokens. */
        record Limited(RateLimit limit, String key, String unit, long waitNanos) implements RateDecision {
        }
    }
}
