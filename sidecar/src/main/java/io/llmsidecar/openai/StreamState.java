package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.function.ToLongFunction;

/**
 * What a relayed stream has shown so far, whatever its API: the usage the gateway reported, the generated text
 * (counted by the tokenizer only when the usage is missing or the stream has a limit to enforce), whether the
 * stream reached the end the gateway meant, and the ids a sidecar-written ending repeats. A {@link Dialect} fills it
 * in event by event; one per stream, confined to the relaying thread.
 *
 * <p>Under a limit the tokenizer runs lazily: a fragment's UTF-8 length bounds its tokens from above (every token is
 * at least one byte), so fragments are only tokenized once the exact count so far plus that bound of the rest could
 * pass the limit. The count is the same sum of parts, fragment by fragment, as counting each on arrival; a stream far
 * from its limit, which is almost every stream, never runs the tokenizer while it is relayed.
 */
public final class StreamState {
    private final StringBuilder generated = new StringBuilder();
    private final ToLongFunction<String> tokenCounter;
    /** The exact tokens of the fragments counted so far: {@code generated[0, countedChars)}. */
    private long countedTokens;
    private int countedChars;
    /** Where each fragment not counted yet ends in {@code generated}, and their UTF-8 bytes together. */
    private int[] uncountedEnds = new int[16];
    private int uncounted;
    private long uncountedBytes;
    private long firstTokenNanos;
    private Usage usage;
    private Usage partialUsage;
    private boolean done;
    private boolean upstreamError;
    private boolean usageOnlyEvent;
    private String id;
    private String model;
    private long created;
    private int choiceCount = 1;
    private int openBlock = -1;
    private final List<String> finishReasons = new ArrayList<>(1);

    /**
     * @param tokenCounter counts the tokens of each generated fragment (a sum of parts, which errs high rather than
     *                     low; never more than the fragment's UTF-8 bytes), or {@code null} when no limit is
     *                     enforced on the stream
     */
    public StreamState(ToLongFunction<String> tokenCounter) {
        this.tokenCounter = tokenCounter;
    }

    /** Keeps the parser's current string value as generated text. */
    public void text(JsonParser p) throws IOException {
        char[] chars = p.getTextCharacters();
        int offset = p.getTextOffset();
        int length = p.getTextLength();
        generated.append(chars, offset, length);
        if (length > 0) {
            if (tokenCounter != null) {
                uncounted(generated.length(), utf8Length(chars, offset, length));
            }
            if (firstTokenNanos == 0) {
                firstTokenNanos = System.nanoTime();
            }
        }
    }

    private void uncounted(int end, long bytes) {
        if (uncounted == uncountedEnds.length) {
            uncountedEnds = Arrays.copyOf(uncountedEnds, uncounted * 2);
        }
        uncountedEnds[uncounted++] = end;
        uncountedBytes += bytes;
    }

    private static long utf8Length(char[] chars, int offset, int length) {
        long bytes = length;
        for (int i = offset; i < offset + length; i++) {
            char c = chars[i];
            // Three bytes for U+0800 and up, two for U+0080 to U+07FF. A surrogate counts 3 too: a pair is 4 bytes
            // (6 counted), a lone one becomes U+FFFD (3 bytes) when the tokenizer encodes it.
            bytes += c >= 0x800 ? 2 : c >= 0x80 ? 1 : 0;
        }
        return bytes;
    }

    /** Tokenizes the fragments not counted yet, each on its own. */
    private void countFragments() {
        for (int i = 0; i < uncounted; i++) {
            int end = uncountedEnds[i];
            countedTokens += tokenCounter.applyAsLong(generated.substring(countedChars, end));
            countedChars = end;
        }
        uncounted = 0;
        uncountedBytes = 0;
    }

    /**
     * Whether the generated tokens are more than {@code limit}; tokenizes only when the bound of the fragments not
     * counted yet says they might be.
     */
    public boolean generatedTokensExceed(long limit) {
        if (tokenCounter == null || countedTokens + uncountedBytes <= limit) {
            return false;
        }
        countFragments();
        return countedTokens > limit;
    }

    /** The gateway's final usage for the whole stream. */
    public void usage(Usage usage) {
        this.usage = usage;
    }

    /**
     * Usage the gateway reported before the end (Anthropic's {@code message_start}: the input exactly, the output
     * so far): what a stream cut short is billed for its input.
     */
    public void partialUsage(Usage usage) {
        this.partialUsage = usage;
    }

    public void done() {
        done = true;
    }

    public void upstreamError() {
        upstreamError = true;
    }

    /** Marks the event being read as one that carries only usage, which apps that did not ask for it never see. */
    public void usageOnlyEvent() {
        usageOnlyEvent = true;
    }

    public void id(String value) {
        if (id == null) {
            id = value;
        }
    }

    public void model(String value) {
        if (model == null) {
            model = value;
        }
    }

    public void created(long value) {
        if (created == 0) {
            created = value;
        }
    }

    /**
     * Keeps a member that names the answer ({@code id}, {@code model}, {@code created} or Responses'
     * {@code created_at}), the first of each, for an ending the sidecar writes; returns whether it was one.
     */
    public boolean identity(String name, JsonToken value, JsonParser p) throws IOException {
        // Every event of a stream repeats them; only the first is kept, so later ones are not made into strings.
        switch (name) {
            case "id" -> {
                if (value == JsonToken.VALUE_STRING && id == null) {
                    id(p.getText());
                }
            }
            case "model" -> {
                if (value == JsonToken.VALUE_STRING && model == null) {
                    model(p.getText());
                }
            }
            case "created", "created_at" -> {
                if (value == JsonToken.VALUE_NUMBER_INT && created == 0) {
                    created(p.getLongValue());
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * Why generation stopped, as the gateway said ({@code finish_reason}, {@code stop_reason}, a terminal status);
     * for traces. Short values only, sixteen at most: anything else is not a reason.
     */
    public void finishReason(JsonParser p) throws IOException {
        if (p.getTextLength() <= 64 && finishReasons.size() < 16) {
            finishReasons.add(p.getText());
        }
    }

    public List<String> finishReasons() {
        return List.copyOf(finishReasons);
    }

    public void choices(int count) {
        choiceCount = Math.max(choiceCount, count);
    }

    /** A content block opened (Anthropic): a sidecar-written ending must close it. */
    public void blockStarted(int index) {
        openBlock = index;
    }

    public void blockStopped(int index) {
        if (openBlock == index) {
            openBlock = -1;
        }
    }

    /** Starts reading the next event. */
    public void beginEvent() {
        usageOnlyEvent = false;
    }

    public boolean usageOnly() {
        return usageOnlyEvent;
    }

    public Usage usage() {
        return usage;
    }

    public Usage partialUsage() {
        return partialUsage;
    }

    public boolean isDone() {
        return done;
    }

    public boolean hasUpstreamError() {
        return upstreamError;
    }

    /** Whether the stream reached an end the gateway meant: its final event, its final usage, or its error event. */
    public boolean finished() {
        return done || usage != null || upstreamError;
    }

    public String generatedText() {
        return generated.toString();
    }

    public int generatedChars() {
        return generated.length();
    }

    /** The generated tokens, fragment by fragment; 0 when no limit is enforced. */
    public long generatedTokens() {
        if (tokenCounter != null) {
            countFragments();
        }
        return countedTokens;
    }

    public long firstTokenNanos() {
        return firstTokenNanos;
    }

    public String id() {
        return id;
    }

    public String model() {
        return model;
    }

    public long created() {
        return created;
    }

    public int choiceCount() {
        return choiceCount;
    }

    /** The index of the content block still open, or -1. */
    public int openBlock() {
        return openBlock;
    }

}
