package io.llmsidecar.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.openai.ChatRequest;


/**
 * Counts tokens with OpenAI's BPE encoding {@code o200k_base}: prompts before a request is forwarded, so it can be
 * priced and reserved, and completions when the gateway reports no usage.
 *
 * <p>Counts are exact for ordinary text and an upper bound, in linear time, for pathological text such as one
 * multi-megabyte word ({@link BpeTokenizer}), so a reservation never falls short of the count for the prompt.
 *
 * <p>Every model is counted with {@code o200k_base}, the encoding of OpenAI's current models (GPT-4o, 4.1, 5, the
 * o-series). Other models (Claude, Gemini, the older GPT-4's {@code cl100k_base}) tokenize differently by a few
 * percent; that is why the sidecar's own counts are always labelled estimated, and why budgets settle to the
 * gateway's reported usage. The vocabulary is a compact build-time table of about 4.5 MB ({@link Vocabulary}). Chat framing follows OpenAI's published accounting: 3 tokens per
 * message, 1 per name, 3 to prime the reply. An image part counts as {@value #IMAGE_PART_TOKENS} tokens, the cost of
 * a high-detail 1024x1024 image, so a reservation errs on the high side.
 */
public final class TokenCounter {
    static final int IMAGE_PART_TOKENS = 765;
    private static final int TOKENS_PER_MESSAGE = 3;
    private static final int TOKENS_PER_NAME = 1;
    private static final int REPLY_PRIMING = 3;

    /** Characters of text whose counts are remembered (about 16 MiB of heap at most). */
    private static final long CACHE_CHARS = 8L * 1024 * 1024;

    private final BpeTokenizer tokenizer;
    private final TokenCache cache;

    private TokenCounter(BpeTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.cache = new TokenCache(tokenizer::count, CACHE_CHARS);
    }

    /** Loads the vocabulary now (tens of milliseconds) so no request ever pays for it. */
    public static TokenCounter create() {
        return new TokenCounter(BpeTokenizer.o200k());
    }

    /** Tokens the prompt of {@code request} will cost: messages with their framing, plus tool definitions. */
    public long promptTokens(ChatRequest request) {
        TokenCache encoding = cache;
        long tokens = REPLY_PRIMING;
        for (JsonNode message : request.messages()) {
            tokens += TOKENS_PER_MESSAGE;
            tokens += text(encoding, message.get("role"));
            tokens += content(encoding, message.get("content"));
            JsonNode name = message.get("name");
            if (name != null && name.isTextual()) {
                tokens += TOKENS_PER_NAME + encoding.count(name.asText());
            }
            JsonNode toolCalls = message.get("tool_calls");
            if (toolCalls != null && toolCalls.isArray()) {
                tokens += encoding.count(toolCalls.toString());
            }
        }
        JsonNode tools = request.json().get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            tokens += encoding.count(tools.toString());
        }
        return tokens;
    }

    /** Tokens of plain generated text, for completions the gateway did not count. */
    public long textTokens(String text) {
        // Generated text is new by definition: count it directly rather than fill the cache with it.
        return tokenizer.count(text);
    }

    private static long text(TokenCache encoding, JsonNode node) {
        return node != null && node.isTextual() ? encoding.count(node.asText()) : 0;
    }

    private static long content(TokenCache encoding, JsonNode content) {
        if (content == null || content.isNull()) {
            return 0;
        }
        if (content.isTextual()) {
            return encoding.count(content.asText());
        }
        if (!content.isArray()) {
            return 0;
        }
        long tokens = 0;
        for (JsonNode part : content) {
            JsonNode type = part.get("type");
            String kind = type == null ? "" : type.asText();
            switch (kind) {
                case "text", "input_text" -> tokens += text(encoding, part.get("text"));
                case "image_url", "input_image" -> tokens += IMAGE_PART_TOKENS;
                case "refusal" -> tokens += text(encoding, part.get("refusal"));
                default -> tokens += text(encoding, part.get("text"));
            }
        }
        return tokens;
    }
}
