package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Token usage of one completion, in OpenAI's convention whatever the API: {@code promptTokens} is every input token,
 * including {@code cachedPromptTokens} (read from a prompt cache) and {@code cacheWriteTokens} (written to one, which
 * Anthropic prices above plain input). Anthropic's {@code input_tokens} excludes both, so its dialect adds them in.
 * {@code source} tells whether the gateway reported the figures (billable) or the sidecar estimated them with its
 * tokenizer because the gateway sent none.
 */
public record Usage(long promptTokens, long completionTokens, long cachedPromptTokens, long cacheWriteTokens,
                    Source source) {
    public static final Usage NONE = new Usage(0, 0, 0, Source.ESTIMATED);

    /** Where a usage figure came from; estimated figures must never be mistaken for billed ones. */
    public enum Source {
        GATEWAY("gateway"),
        ESTIMATED("estimated");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public Usage {
        if (promptTokens < 0 || completionTokens < 0 || cachedPromptTokens < 0 || cacheWriteTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
        cachedPromptTokens = Math.min(cachedPromptTokens, promptTokens);
        cacheWriteTokens = Math.min(cacheWriteTokens, promptTokens - cachedPromptTokens);
    }

    /** Usage without prompt-cache writes (every API but Anthropic's Messages). */
    public Usage(long promptTokens, long completionTokens, long cachedPromptTokens, Source source) {
        this(promptTokens, completionTokens, cachedPromptTokens, 0, source);
    }

    /** Input tokens billed at the plain input price: neither read from nor written to a prompt cache. */
    public long uncachedPromptTokens() {
        return promptTokens - cachedPromptTokens - cacheWriteTokens;
    }

    /** The same figures, marked as counted by the sidecar rather than reported by the gateway. */
    public Usage estimated() {
        return source == Source.ESTIMATED ? this
                : new Usage(promptTokens, completionTokens, cachedPromptTokens, cacheWriteTokens, Source.ESTIMATED);
    }

    public long totalTokens() {
        return promptTokens + completionTokens;
    }

    /**
     * Reads an OpenAI {@code usage} object; the parser stands on its {@code START_OBJECT}. Unknown fields (reasoning
     * token details, cost fields some gateways add) are skipped.
     */
    public static Usage read(JsonParser p) throws IOException {
        long prompt = 0;
        long completion = 0;
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "prompt_tokens", "input_tokens" -> prompt = number(p, value);
                case "completion_tokens", "output_tokens" -> completion = number(p, value);
                case "prompt_tokens_details", "input_tokens_details" -> cached = cachedTokens(p, value);
                default -> p.skipChildren();
            }
        }
        return new Usage(prompt, completion, cached, Source.GATEWAY);
    }

    private static long cachedTokens(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return 0;
        }
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("cached_tokens")) {
                cached = number(p, v);
            } else {
                p.skipChildren();
            }
        }
        return cached;
    }

    private static long number(JsonParser p, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT ? Math.max(0, p.getLongValue()) : 0;
    }
}
