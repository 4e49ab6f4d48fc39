package io.llmsidecar.pricing;

import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.tokens.TokenCounter;

import java.util.Optional;

/** Works out a request's {@link Estimate} from the tokenizer and the price book. */
public final class Estimator {
    private final TokenCounter tokens;
    private final PriceBook prices;
    private final CompletionDefault completionDefault;

    public Estimator(TokenCounter tokens, PriceBook prices, CompletionDefault completionDefault) {
        this.tokens = tokens;
        this.prices = prices;
        this.completionDefault = completionDefault;
    }

    /** Without a gateway default: a request that sets no limit may run to the model's maximum. */
    public Estimator(TokenCounter tokens, PriceBook prices, int defaultMaxCompletionTokens) {
        this(tokens, prices, new CompletionDefault(java.util.OptionalInt.empty(), defaultMaxCompletionTokens));
    }

    public Estimate estimate(ChatRequest request) {
        long prompt = tokens.promptTokens(request);
        Optional<PricedModel> model = prices.find(request.model());
        long maxCompletion = maxCompletionTokens(request, model);
        long maxCost = model.map(m -> m.price().maxCostNanos(prompt, maxCompletion)).orElse(0L);
        return new Estimate(prompt, maxCompletion, maxCost, model);
    }

    /**
     * The request's own limit, else the {@link CompletionDefault} (the gateway's default capped by the model's
     * maximum, or the model's maximum, or the configured fallback): the most the gateway can be expected to produce,
     * which is what a reservation must cover.
     */
    private long maxCompletionTokens(ChatRequest request, Optional<PricedModel> model) {
        if (request.maxTokens().isPresent()) {
            return request.maxTokens().getAsInt();
        }
        return completionDefault.limitFor(model);
    }
}
