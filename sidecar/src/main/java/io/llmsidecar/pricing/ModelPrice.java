package io.llmsidecar.pricing;

import io.llmsidecar.openai.Usage;

/**
 * What one model costs, in pico-USD per token, and its limits. {@code cacheReadPico} is {@code -1} when the source
 * gives no cached-input price (cached tokens are then billed at the input price); {@code cacheWritePico} likewise
 * for tokens written to a prompt cache (Anthropic's {@code cache_creation_input_tokens}, priced by the gateway's
 * {@code cacheWritePrice}); {@code maxTokens} and {@code contextWindow} are {@code 0} when unknown.
 */
public record ModelPrice(long inputPico, long outputPico, long cacheReadPico, long cacheWritePico, int maxTokens,
                         int contextWindow) {
    /** A price without a cache-write price: cache writes are billed as plain input. */
    public ModelPrice(long inputPico, long outputPico, long cacheReadPico, int maxTokens, int contextWindow) {
        this(inputPico, outputPico, cacheReadPico, -1, maxTokens, contextWindow);
    }

    public ModelPrice {
        if (inputPico < 0 || outputPico < 0) {
            throw new IllegalArgumentException("prices cannot be negative");
        }
        if (maxTokens < 0 || contextWindow < 0) {
            throw new IllegalArgumentException("token limits cannot be negative");
        }
    }

    /**
     * The cost of {@code usage} in nano-USD: plain input, cache reads, cache writes and output, each at its own
     * price.
     */
    public long costNanos(Usage usage) {
        long readPrice = cacheReadPico >= 0 ? cacheReadPico : inputPico;
        long writePrice = cacheWritePico >= 0 ? cacheWritePico : inputPico;
        long pico = Math.multiplyExact(usage.uncachedPromptTokens(), inputPico)
                    + Math.multiplyExact(usage.cachedPromptTokens(), readPrice)
                    + Math.multiplyExact(usage.cacheWriteTokens(), writePrice)
                    + Math.multiplyExact(usage.completionTokens(), outputPico);
        return Usd.picoToNanos(pico);
    }

    /** The most a request can cost: every prompt token uncached, every allowed completion token produced. */
    public long maxCostNanos(long promptTokens, long maxCompletionTokens) {
        return maxCostNanos(promptTokens, maxCompletionTokens, false);
    }

    /**
     * The most a request can cost; one that asks for prompt caching ({@code cacheWrites}) may have every prompt
     * token written to the cache, so its prompt is priced at the dearer of the input and cache-write prices.
     */
    public long maxCostNanos(long promptTokens, long maxCompletionTokens, boolean cacheWrites) {
        long promptPrice = cacheWrites ? Math.max(inputPico, cacheWritePico) : inputPico;
        return Usd.picoToNanos(Math.multiplyExact(promptTokens, promptPrice)
                               + Math.multiplyExact(maxCompletionTokens, outputPico));
    }
}
