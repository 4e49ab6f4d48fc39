package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.function.ToLongFunction;

/**
 * What a relayed stream has shown so far, whatever its API: the usage the gateway reported, the generated text
 * (counted by the tokenizer only when the usage is missing or the stream has a limit to enforce), whether the
 * stream reached the end the gateway meant, and the ids a sidecar-written ending repeats. A {@link Dialect} fills it
 * in event by event; one per stream, confined to the relaying thread.
 */
public final class StreamState {
    private final StringBuilder generated = new StringBuilder();
    private final ToLongFunction<String> tokenCounter;
    private long generatedTokens;
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
    private int lastBlock = -1;

    /**
     * @param tokenCounter counts the tokens of each generated fragment as it arrives (a sum of parts, which errs
     *                     high rather than low), or {@code null} when no limit is enforced on the stream
     */
    public StreamState(ToLongFunction<String> tokenCounter) {
        this.tokenCounter = tokenCounter;
    }

    /** Keeps the parser's current string value as generated text. */
    public void text(JsonParser p) throws IOException {
        int before = generated.length();
        generated.append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        if (generated.length() > before) {
            if (tokenCounter != null) {
                generatedTokens += tokenCounter.applyAsLong(generated.substring(before));
            }
            if (firstTokenNanos == 0) {
                firstTokenNanos = System.nanoTime();
            }
        }
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
        switch (name) {
            case "id" -> {
                if (value == JsonToken.VALUE_STRING) {
                    id(p.getText());
                }
            }
            case "model" -> {
                if (value == JsonToken.VALUE_STRING) {
                    model(p.getText());
                }
            }
            case "created", "created_at" -> {
                if (value == JsonToken.VALUE_NUMBER_INT) {
                    created(p.getLongValue());
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    public void choices(int count) {
        choiceCount = Math.max(choiceCount, count);
    }

    /** A content block opened (Anthropic): a sidecar-written ending must close it. */
    public void blockStarted(int index) {
        openBlock = index;
        lastBlock = Math.max(lastBlock, index);
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

    public long generatedTokens() {
        return generatedTokens;
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

    /** The highest content-block index seen, or -1. */
    public int lastBlock() {
        return lastBlock;
    }
}
