package io.llmsidecar.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;

import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A governed request's spans, made by the SDK: the server span (a child of the app's span), one child per
 * {@link Stage}, and the upstream client span whose context the gateway receives. An unsampled trace gets
 * non-recording spans, which still propagate.
 */
final class Exported extends RequestTrace {
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private final Tracer tracer;
    private final Span server;
    private final Context context;
    private final String operation;
    private final long startEpochNanos;
    private final long startNanoTime;

    Exported(Tracer tracer, Context parent, String operation, String path, String method) {
        this.tracer = tracer;
        this.operation = operation;
        this.startNanoTime = System.nanoTime();
        this.startEpochNanos = epochNanosNow();
        this.server = tracer.spanBuilder(operation)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(SpanAttributes.OPERATION, operation)
                .setAttribute(SpanAttributes.HTTP_METHOD, method)
                .setAttribute(SpanAttributes.URL_PATH, path)
                .startSpan();
        this.context = parent.with(server);
    }

    @Override
    public boolean recording() {
        return server.isRecording();
    }

    @Override
    public <T> T within(Stage stage, Supplier<T> work) {
        Span span = tracer.spanBuilder(stage.spanName()).setParent(context).startSpan();
        try {
            return work.get();
        } catch (RuntimeException | Error e) {
            failed(span, SpanAttributes.errorType(e));
            throw e;
        } finally {
            span.end();
        }
    }

    @Override
    public void run(Stage stage, Runnable work) {
        within(stage, () -> {
            work.run();
            return null;
        });
    }

    @Override
    public UpstreamCall upstreamCall(String method, URI target) {
        Span span = tracer.spanBuilder(method)
                .setParent(context)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(SpanAttributes.HTTP_METHOD, method)
                .setAttribute(SpanAttributes.URL_FULL, target.toString())
                .setAttribute(SpanAttributes.SERVER_ADDRESS, target.getHost())
                .setAttribute(SpanAttributes.SERVER_PORT, (long) port(target))
                .startSpan();
        Context call = context.with(span);
        return new UpstreamCall() {
            @Override
            public void inject(BiConsumer<String, String> header) {
                W3CTraceContextPropagator.getInstance().inject(call, header, BiConsumer::accept);
            }

            @Override
            public void end(int status, String errorType) {
                if (status > 0) {
                    span.setAttribute(SpanAttributes.HTTP_STATUS, (long) status);
                }
                if (errorType != null) {
                    failed(span, errorType);
                } else if (status >= 400) {
                    failed(span, String.valueOf(status));
                }
                span.end();
            }
        };
    }

    @Override
    public void end(SpanFacts f) {
        if (!f.requestModel().isEmpty()) {
            server.updateName(operation + " " + f.requestModel());
        }
        SpanAttributes.write(server, f);
        if (f.firstTokenAt() > 0) {
            long offset = f.firstTokenAt() - startNanoTime;
            server.addEvent(SpanAttributes.FIRST_TOKEN_EVENT,
                            Attributes.of(SpanAttributes.TIME_TO_FIRST_TOKEN, offset / 1e9),
                            startEpochNanos + offset, TimeUnit.NANOSECONDS);
        }
        if (!f.errorType().isEmpty()) {
            failed(server, f.errorType());
            if (!f.errorCode().isEmpty()) {
                server.setStatus(StatusCode.ERROR, f.errorCode());
            }
        }
        server.end();
    }

    private static void failed(Span span, String errorType) {
        span.setAttribute(ERROR_TYPE, errorType);
        span.setStatus(StatusCode.ERROR, errorType);
    }

    private static int port(URI target) {
        if (target.getPort() > 0) {
            return target.getPort();
        }
        return "https".equalsIgnoreCase(target.getScheme()) ? 443 : 80;
    }

    private static long epochNanosNow() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
