package io.llmsidecar.pricing;

import io.llmsidecar.openai.Usage;

/**
 * What one model costs, in pico-USD per token, and its limits. {@code cacheReadPico} is {@code -1} when the source
 * gives no cached-input price (cached tokens are then billed at the input price); {@code maxTokens} and
 * {@code contextWindow} are {@code 0} when unknown.
 */
public record ModelPrice(long inputPico, long outputPico, long cacheReadPico, int maxTokens, int contextWindow) {
    public ModelPrice {
        if (inputPico < 0 || outputPico < 0) {
            throw new IllegalArgumentException("prices cannot be negative");
        }
        if (maxTokens < 0 || contextWindow < 0) {
            throw new IllegalArgumentException("token limits cannot be negative");
        }
    }

    /** The cost of {@code usage} in nano-USD: uncached input, cached input and output, each at its own price. */
    public long costNanos(Usage usage) {
        long cached = usage.cachedPromptTokens();
        long uncached = usage.promptTokens() - cached;
        long cachePrice = cacheReadPico >= 0 ? cacheReadPico : inputPico;
        long pico = Math.multiplyExact(uncached, inputPico)
                    + Math.multiplyExact(cached, cachePrice)
                    + Math.multiplyExact(usage.completionTokens(), outputPico);
        return Usd.picoToNanos(pico);
    }

    /** The most a request can cost: every prompt token uncached, every allowed completion token produced. */
    public long maxCostNanos(long promptTokens, long maxCompletionTokens) {
        return Usd.picoToNanos(Math.multiplyExact(promptTokens, inputPico)
                               + Math.multiplyExact(maxCompletionTokens, outputPico));
    }
}
