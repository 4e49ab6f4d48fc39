package io.llmsidecar.tracing;

import java.net.URI;
import java.util.function.Supplier;

/**
 * One request's place in a distributed trace. Without export ({@link Propagated}) it is the app's trace context
 * and one new span id for the headers to the gateway, nothing more; exported ({@link Exported}) it is the server span,
 * its stage spans and the upstream client span. Confined to the request's thread.
 */
public abstract sealed class RequestTrace permits Propagated, Exported {
    /** Whether a span records this request, so that its {@link SpanFacts} are worth gathering. */
    public abstract boolean recording();

    /** Runs {@code work} as {@code stage}; a thrown error marks the stage's span. */
    public abstract <T> T within(Stage stage, Supplier<T> work);

    /** {@link #within} for work without a result. */
    public abstract void run(Stage stage, Runnable work);

    /** The call to the gateway about to be sent; its {@link UpstreamCall#end} must follow. */
    public abstract UpstreamCall upstreamCall(String method, URI target);

    /** Ends the server span with what the request came to. */
    public abstract void end(SpanFacts facts);
}
