package io.llmsidecar.pricing;

import io.llmsidecar.openai.ApiRequest;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.PromptText;
import io.llmsidecar.tokens.TokenCounter;

import java.util.Optional;

/** Works out a request's {@link Estimate} from the tokenizer and the price book, for every governed API. */
public final class Estimator {
    /**
     * Framing the tokenizer cannot see in a non-chat body (item and role markers), per prompt text: the chat
     * framing of one message, so the estimate errs high, never low.
     */
    static final int TOKENS_PER_TEXT = 3;

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

    public Estimate estimate(ApiRequest request) {
        long prompt = promptTokens(request);
        Optional<PricedModel> model = prices.find(request.model());
        int choices = request.choices();
        long maxCompletion = Math.multiplyExact(maxCompletionTokens(request, model), (long) choices);
        long maxCost = model.map(m -> m.price().maxCostNanos(prompt, maxCompletion, request.writesPromptCache()))
                .orElse(0L);
        return new Estimate(prompt, maxCompletion, maxCost, model, choices);
    }

    private long promptTokens(ApiRequest request) {
        if (request instanceof ChatRequest chat) {
            return tokens.promptTokens(chat);
        }
        long count = 0;
        for (PromptText text : request.promptTexts()) {
            count += TOKENS_PER_TEXT + tokens.textTokens(text.text());
        }
        var tools = request.json().get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            count += tokens.textTokens(tools.toString());
        }
        return count;
    }

    /**
     * Per choice: the request's own limit, else the {@link CompletionDefault} (the gateway's default capped by the
     * model's maximum, or the model's maximum, or the configured fallback): the most the gateway can be expected to
     * produce, which is what a reservation must cover. Embeddings produce no completion.
     */
    private long maxCompletionTokens(ApiRequest request, Optional<PricedModel> model) {
        if (request.limitField().isEmpty()) {
            return 0;
        }
        if (request.maxTokens().isPresent()) {
            return request.maxTokens().getAsInt();
        }
        return completionDefault.limitFor(model);
    }
}
