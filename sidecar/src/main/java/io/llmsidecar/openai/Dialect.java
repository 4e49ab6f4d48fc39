package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;
import java.util.Optional;

/**
 * One governed API's wire format, request and answer together (as envoyproxy/ai-gateway pairs them per endpoint):
 * how its body is read, where its answer and its stream carry usage and generated text, how the sidecar ends one
 * of its streams itself, and its family's error shape. Adding an API means one dialect, one request type and one
 * {@link Api} constant; the pipeline does not branch on the API.
 */
public sealed interface Dialect
        permits ChoiceChunks, EmbeddingsDialect, ResponsesDialect, MessagesDialect {
    /** Reads and validates a body; 400 naming the parameter at fault. */
    ApiRequest parse(byte[] body);

    /** The gateway's usage in a whole (non-streamed) answer, if it reported any. */
    Optional<Usage> usage(byte[] answer);

    /** The generated text of a whole answer, counted when the gateway reported no usage. */
    String generatedText(byte[] answer);

    /**
     * Reads one stream event's JSON payload into {@code state}; the parser stands just past its
     * {@code START_OBJECT}. Events the dialect does not know are skipped.
     */
    void readEvent(JsonParser p, StreamState state) throws IOException;

    /**
     * The end of a stream the sidecar cut off at its completion limit, as a gateway ends one whose limit ran out.
     *
     * @param usage       the sidecar's count of the stream so far
     * @param usageWanted whether the app asked for the stream's usage (where the API makes that optional)
     */
    byte[] limitEnding(StreamState state, Usage usage, boolean usageWanted);

    /**
     * What the app gets when its stream fails after the headers went out (the gateway broke off, the sidecar is
     * shutting down): the usage so far if the app asked for it, then the error event of the API's family.
     */
    default byte[] failureEnding(StreamState state, Usage usage, boolean usageWanted, SidecarException failure,
                                 String requestId) {
        return family().streamErrorEvent(failure, requestId);
    }

    /** Whether a stream reports usage only when asked ({@code stream_options.include_usage}). */
    default boolean streamUsageOnRequest() {
        return false;
    }

    /** Whether the API can stream at all. */
    default boolean streams() {
        return true;
    }

    /** Whether a call costs anything: token counting does not, so it is checked but not budgeted. */
    default boolean billable() {
        return true;
    }

    WireFamily family();
}
