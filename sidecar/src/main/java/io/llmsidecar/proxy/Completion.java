package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;

/**
 * What came back from the gateway for one chat completion.
 *
 * @param status          the gateway's HTTP status, relayed to the app
 * @param usage           billed usage when the gateway reported it, else the tokenizer's estimate of what was
 *                        produced; {@link Usage#NONE} for an error answer
 * @param upstreamNanos   time from sending the request to the gateway's last byte (or the stream's end)
 * @param firstTokenAt    {@link System#nanoTime()} when the first generated text arrived, 0 if none (streams only)
 * @param end             how a stream ended; {@link SseRelay.End#COMPLETE} for non-streamed answers that reached
 *                        the app
 * @param fault           what went wrong with the gateway's answer (the error the app was given, or the gateway's
 *                        own error), {@code null} when it was a good answer
 */
record Completion(int status, Usage usage, long upstreamNanos, long firstTokenAt, SseRelay.End end,
                  boolean streamed, SidecarException fault) {
    Completion(int status, Usage usage, long upstreamNanos, long firstTokenAt, SseRelay.End end, boolean streamed) {
        this(status, usage, upstreamNanos, firstTokenAt, end, streamed, null);
    }

    boolean ok() {
        return fault == null && status >= 200 && status < 300 && end != SseRelay.End.UPSTREAM_FAILED;
    }

    /** How the request ended, for the metric label and the access log. */
    Outcome outcome() {
        if (fault != null) {
            return Outcome.of(fault);
        }
        return ok() ? Outcome.ALLOWED : Outcome.UPSTREAM_ERROR;
    }
}
