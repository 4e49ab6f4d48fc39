package io.llmsidecar.pricing;

import java.util.Optional;

/**
 * What a request may cost at most, worked out before it is forwarded: the prompt tokens (from the tokenizer), the
 * completion tokens it may produce across all its {@code choices} ({@code n}) and their price. {@code model} is
 * empty when the price book has no price, in which case {@code maxCostNanos} is zero and policies should refuse the
 * request rather than let it dodge budgets.
 *
 * @param maxCompletionTokens the most completion tokens of all choices together: what a budget must hold
 * @param choices             how many completions the request produces; {@code maxCompletionTokens / choices} is
 *                            the limit per choice, the one written into a request that sets none
 */
public record Estimate(long promptTokens, long maxCompletionTokens, long maxCostNanos, Optional<PricedModel> model,
                       int choices) {
    public Estimate {
        if (choices < 1) {
            throw new IllegalArgumentException("choices must be at least 1, got " + choices);
        }
    }

    /** An estimate of one choice. */
    public Estimate(long promptTokens, long maxCompletionTokens, long maxCostNanos, Optional<PricedModel> model) {
        this(promptTokens, maxCompletionTokens, maxCostNanos, model, 1);
    }

    public boolean priced() {
        return model.isPresent();
    }

    /** The completion limit of one choice. */
    public long maxCompletionTokensPerChoice() {
        return maxCompletionTokens / choices;
    }
}
