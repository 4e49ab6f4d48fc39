package io.llmsidecar.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.StreamState;
import io.llmsidecar.openai.Usage;

import java.io.IOException;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Reads each server-sent event of a stream as it passes: finds its {@code data:} payload, notes {@code [DONE]},
 * and lets the API's {@link io.llmsidecar.openai.Dialect} read the JSON into a {@link StreamState} (usage, generated
 * text, the stream's end, ids). One pass of a streaming JSON parser per event; nothing is kept but the text. It also
 * enforces the completion limit the budget reservation covers.
 */
final class StreamInspector {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * What the relay should do with an event. {@code OVER_LIMIT}: the event takes the generated text past the
     * completion limit (what the budget reservation covers); end the stream instead of relaying it.
     */
    enum Verdict { FORWARD, USAGE_ONLY, OVER_LIMIT }

    private final Api api;
    private final StreamState state;
    private final long completionLimit;
    private final Function<StreamState, Usage> sidecarCount;
    private final boolean usageWanted;
    private Usage counted;
    private int countedChars = -1;

    StreamInspector() {
        this(Api.CHAT_COMPLETIONS);
    }

    StreamInspector(Api api) {
        this(api, Long.MAX_VALUE, null);
    }

    /**
     * An inspector that also counts generated tokens, delta by delta with {@code tokenCounter} (a sum of parts,
     * which errs high rather than low), and reports {@link Verdict#OVER_LIMIT} past {@code completionLimit}. The
     * deltas are tokenized only once their UTF-8 bytes could pass the limit ({@link StreamState}).
     */
    StreamInspector(long completionLimit, ToLongFunction<String> tokenCounter) {
        this(Api.CHAT_COMPLETIONS, completionLimit, tokenCounter);
    }

    StreamInspector(Api api, long completionLimit, ToLongFunction<String> tokenCounter) {
        this(api, completionLimit, tokenCounter,
             s -> new Usage(0, s.generatedTokens(), 0, Usage.Source.ESTIMATED), false);
    }

    /**
     * @param sidecarCount what the stream is billed when the gateway's usage is missing: written into the endings
     *                     the sidecar writes itself
     * @param usageWanted  whether the app asked for the stream's usage
     */
    StreamInspector(Api api, long completionLimit, ToLongFunction<String> tokenCounter,
                    Function<StreamState, Usage> sidecarCount, boolean usageWanted) {
        this.api = api;
        this.state = new StreamState(tokenCounter);
        this.completionLimit = completionLimit;
        this.sidecarCount = sidecarCount;
        this.usageWanted = usageWanted;
    }

    /**
     * Inspects one complete event ({@code buf[from..to)}, delimiter included). Returns {@link Verdict#USAGE_ONLY}
     * for the chunk that carries only usage (empty {@code choices}), which the relay hides from apps that did not ask
     * for it.
     */
    Verdict inspect(byte[] buf, int from, int to) {
        int data = dataStart(buf, from, to);
        if (data < 0) {
            return Verdict.FORWARD;
        }
        if (isDone(buf, data, to)) {
            state.done();
            return Verdict.FORWARD;
        }
        state.beginEvent();
        // The parser gets the rest of the event, not just the data line: it stops at the end of the JSON object and
        // never reads what follows (the line's end, another field). Finding the line's end first was a second pass
        // over every byte of the stream, an eighth of the inspection's CPU (SseRelayCpu, docs/BENCHMARKS.md item 34).
        try (JsonParser p = JSON.createParser(buf, data, to - data)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                api.dialect().readEvent(p, state);
            }
        } catch (IOException | RuntimeException e) {
            // An event we cannot read is still relayed; usage falls back to the tokenizer.
            return Verdict.FORWARD;
        }
        if (state.generatedTokensExceed(completionLimit)) {
            return Verdict.OVER_LIMIT;
        }
        return state.usageOnly() ? Verdict.USAGE_ONLY : Verdict.FORWARD;
    }

    StreamState state() {
        return state;
    }

    /** The gateway's final usage, or {@code null} when the stream did not (yet) report it. */
    Usage usage() {
        return state.usage();
    }

    String generatedText() {
        return state.generatedText();
    }

    int generatedChars() {
        return state.generatedChars();
    }

    boolean done() {
        return state.isDone();
    }

    /** Whether the stream reached an end the gateway meant (see {@link StreamState#finished()}). */
    boolean finished() {
        return state.finished();
    }

    boolean upstreamError() {
        return state.hasUpstreamError();
    }

    long firstTokenNanos() {
        return state.firstTokenNanos();
    }

    /** What the stream is billed: the gateway's usage, else the sidecar's count. */
    Usage billedUsage() {
        return state.usage() != null ? state.usage() : sidecarCount();
    }

    /** The end of a stream cut off at its completion limit, as a gateway would have ended it. */
    byte[] cutOffEnding() {
        return api.dialect().limitEnding(state, sidecarCount(), usageWanted);
    }

    /**
     * The sidecar's count of the stream so far. A cut stream needs it twice, for the ending it writes and for the
     * bill, with nothing read in between: counted once while the text stays the same, since a long text costs the
     * tokenizer a pass each time.
     */
    private Usage sidecarCount() {
        if (counted == null || countedChars != state.generatedChars()) {
            counted = sidecarCount.apply(state);
            countedChars = state.generatedChars();
        }
        return counted;
    }

    /** Whether the payload at {@code data} is {@code [DONE]}, alone on its line. */
    private static boolean isDone(byte[] buf, int data, int to) {
        return to - data >= 6 && buf[data] == '[' && buf[data + 1] == 'D' && buf[data + 2] == 'O'
               && buf[data + 3] == 'N' && buf[data + 4] == 'E' && buf[data + 5] == ']'
               && (to == data + 6 || buf[data + 6] == '\n' || buf[data + 6] == '\r');
    }

    /** Index of the payload of the event's first {@code data:} line, or -1. */
    private static int dataStart(byte[] buf, int from, int to) {
        int line = from;
        while (line < to) {
            if (to - line >= 5 && buf[line] == 'd' && buf[line + 1] == 'a' && buf[line + 2] == 't'
                && buf[line + 3] == 'a' && buf[line + 4] == ':') {
                int start = line + 5;
                return start < to && buf[start] == ' ' ? start + 1 : start;
            }
            line = lineEnd(buf, line, to);
            while (line < to && (buf[line] == '\n' || buf[line] == '\r')) {
                line++;
            }
        }
        return -1;
    }

    private static int lineEnd(byte[] buf, int from, int to) {
        int i = from;
        while (i < to && buf[i] != '\n' && buf[i] != '\r') {
            i++;
        }
        return i;
    }
}
