package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Token usage of one completion. {@code promptTokens} includes {@code cachedPromptTokens}, as in OpenAI's
 * {@code usage} block. {@code source} tells whether the gateway reported the figures (billable) or the sidecar
 * estimated them with its tokenizer because the gateway sent none.
 */
public record Usage(long promptTokens, long completionTokens, long cachedPromptTokens, Source source) {
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
        if (promptTokens < 0 || completionTokens < 0 || cachedPromptTokens < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
        cachedPromptTokens = Math.min(cachedPromptTokens, promptTokens);
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
