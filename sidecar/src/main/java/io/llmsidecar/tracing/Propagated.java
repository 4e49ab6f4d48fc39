package io.llmsidecar.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.IdGenerator;

import java.net.URI;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A trace that records nothing: the app's context continued (or a new trace begun when it sent none, or a malformed
 * one) under one span id of the sidecar's, which the gateway sees as its parent. No SDK span is made: the cost is
 * parsing two headers and writing them back.
 */
final class Propagated extends RequestTrace implements UpstreamCall {
    private final SpanContext parent;
    private SpanContext own;

    Propagated(SpanContext parent) {
        this.parent = parent;
    }

    @Override
    public boolean recording() {
        return false;
    }

    @Override
    public <T> T within(Stage stage, Supplier<T> work) {
        return work.get();
    }

    @Override
    public void run(Stage stage, Runnable work) {
        work.run();
    }

    @Override
    public UpstreamCall upstreamCall(String method, URI target) {
        return this;
    }

    @Override
    public void inject(BiConsumer<String, String> header) {
        if (own == null) {
            own = parent.isValid()
                    ? SpanContext.create(parent.getTraceId(), IdGenerator.random().generateSpanId(),
                                         parent.getTraceFlags(), parent.getTraceState())
                    // A new trace, marked sampled: a gateway that traces keeps it, and it has no other parent.
                    : SpanContext.create(IdGenerator.random().generateTraceId(), IdGenerator.random().generateSpanId(),
                                         TraceFlags.getSampled(), TraceState.getDefault());
        }
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(Span.wrap(own)), header,
                                                       BiConsumer::accept);
    }

    @Override
    public void end(int status, String errorType) {
        // Nothing recorded.
    }

    @Override
    public void end(SpanFacts facts) {
        // Nothing recorded.
    }
}
