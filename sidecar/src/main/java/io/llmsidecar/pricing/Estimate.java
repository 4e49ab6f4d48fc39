package io.llmsidecar.pricing;

import java.util.Optional;

/**
 * What a request may cost at most, worked out before it is forwarded: the prompt tokens (from the tokenizer), the
 * completion tokens it may produce and their price. {@code model} is empty when the price book has no price, in
 * which case {@code maxCostNanos} is zero and policies should refuse the request rather than let it dodge budgets.
 */
public record Estimate(long promptTokens, long maxCompletionTokens, long maxCostNanos, Optional<PricedModel> model) {
    public boolean priced() {
        return model.isPresent();
    }
}
