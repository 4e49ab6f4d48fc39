package io.llmsidecar.tracing;

import java.util.function.BiConsumer;

/**
 * The request to the gateway as a trace sees it: the W3C headers it carries (the sidecar's own span as parent,
 * whatever the app sent), and, when spans are exported, a client span from send to last byte.
 */
public interface UpstreamCall {
    /** Sets {@code traceparent} (and {@code tracestate} when there is one) through {@code header}. */
    void inject(BiConsumer<String, String> header);

    /**
     * Ends the call.
     *
     * @param status    the gateway's HTTP status, 0 when it never answered
     * @param errorType the error kind when the call failed (unreachable, cut off...), {@code null} when it did not
     */
    void end(int status, String errorType);
}
