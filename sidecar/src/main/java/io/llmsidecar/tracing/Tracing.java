package io.llmsidecar.tracing;

import io.llmsidecar.logging.LineLog;
import io.llmsidecar.openai.Api;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sidecar's tracing: W3C trace context from the app continued to the gateway, always, and spans exported over
 * OTLP/HTTP when {@link TracingConfig#exporting}. Exporting goes through a bounded batch queue on the SDK's own
 * thread: a slow or unreachable collector costs dropped spans (counted), never a request's time. Without export no
 * SDK is built and no span is made.
 */
public final class Tracing implements AutoCloseable {
    private static final LineLog LOG = LineLog.named(Tracing.class.getName());
    private static final String TRACEPARENT = "traceparent";
    private static final String TRACESTATE = "tracestate";
    private static final TextMapGetter<Inbound> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Inbound carrier) {
            return List.of(TRACEPARENT, TRACESTATE);
        }

        @Override
        public String get(Inbound carrier, String key) {
            if (carrier == null) {
                return null;
            }
            return switch (key) {
                case TRACEPARENT -> carrier.traceparent();
                case TRACESTATE -> carrier.tracestate();
                default -> null;
            };
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final DroppedSpans dropped;
    private final boolean forwardTracestate;

    private Tracing(SdkTracerProvider provider, Tracer tracer, DroppedSpans dropped, boolean forwardTracestate) {
        this.provider = provider;
        this.tracer = tracer;
        this.dropped = dropped;
        this.forwardTracestate = forwardTracestate;
    }

    /** Propagation only, without the app's {@code tracestate}. */
    public static Tracing off() {
        return new Tracing(null, null, null, false);
    }

    public static Tracing create(TracingConfig config, String version) {
        if (!config.exporting()) {
            return new Tracing(null, null, null, config.forwardTracestate());
        }
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.tracesEndpoint().orElseThrow().toString())
                .setTimeout(config.timeout())
                .setCompression(config.gzip() ? "gzip" : "none");
        config.headers().forEach(exporter::addHeader);
        Tracing tracing = create(config, version, exporter.build());
        LOG.info("Exporting spans over OTLP/HTTP to " + config.tracesEndpoint().orElseThrow() + " as service "
                 + config.serviceName());
        return tracing;
    }

    /** Exporting through {@code exporter}: OTLP in production, a sink in the benchmark. */
    static Tracing create(TracingConfig config, String version, SpanExporter exporter) {
        DroppedSpans dropped = new DroppedSpans();
        BatchSpanProcessor batch = BatchSpanProcessor.builder(exporter)
                .setMaxQueueSize(config.maxQueueSize())
                .setMaxExportBatchSize(config.maxBatchSize())
                .setScheduleDelay(config.scheduleDelay())
                .setExporterTimeout(config.exportTimeout())
                .setMeterProvider(dropped.meters)
                .build();
        AttributesBuilder resource = Attributes.builder();
        config.resource().forEach(resource::put);
        resource.put("service.name", config.serviceName());
        resource.put("service.version", version);
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(resource.build())))
                .setSampler(sampler(config))
                .addSpanProcessor(batch)
                .build();
        return new Tracing(provider, provider.get("io.llmsidecar", version), dropped, config.forwardTracestate());
    }

    /**
     * The trace of a governed request: a server span named for its GenAI operation when exporting, else
     * propagation only. A missing or malformed {@code traceparent} starts a new trace; it is never an error.
     *
     * @param traceparent the app's header, {@code null} when absent or sent more than once
     * @param tracestate  the app's header (several joined with commas), or {@code null}; ignored unless
     *                    {@link TracingConfig#forwardTracestate}
     */
    public RequestTrace governed(Api api, String method, String path, String traceparent, String tracestate) {
        Context parent = parent(traceparent, tracestate);
        if (tracer == null) {
            return new Propagated(Span.fromContext(parent).getSpanContext());
        }
        return new Exported(tracer, parent, operation(api), path, method);
    }

    /** The trace of any other request (pass-through, refused): propagation only, no span. */
    public RequestTrace other(String traceparent, String tracestate) {
        return new Propagated(Span.fromContext(parent(traceparent, tracestate)).getSpanContext());
    }

    /** The app's context; invalid (a new trace) when its traceparent is missing or malformed. */
    private Context parent(String traceparent, String tracestate) {
        return W3CTraceContextPropagator.getInstance().extract(
                Context.root(), new Inbound(traceparent, forwardTracestate ? tracestate : null), GETTER);
    }

    /** Spans dropped because the export queue was full; 0 when not exporting. */
    public long droppedSpans() {
        return dropped == null ? 0 : dropped.count();
    }

    public boolean exporting() {
        return provider != null;
    }

    /** The GenAI convention's operation name: what a span is called before its model. */
    static String operation(Api api) {
        return switch (api) {
            case CHAT_COMPLETIONS, RESPONSES, MESSAGES -> "chat";
            case EMBEDDINGS -> "embeddings";
            case COMPLETIONS -> "text_completion";
            // Not a GenAI operation of the conventions, which allow a custom value where none fits.
            case MESSAGES_COUNT_TOKENS -> "count_tokens";
        };
    }

    /** Sends what is queued, waiting at most five seconds: shutdown must not hang on an absent collector. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
            dropped.meters.shutdown().join(1, TimeUnit.SECONDS);
        }
    }

    private static Sampler sampler(TracingConfig config) {
        return switch (config.sampler()) {
            case ALWAYS_ON -> Sampler.alwaysOn();
            case ALWAYS_OFF -> Sampler.alwaysOff();
            case TRACE_ID_RATIO -> Sampler.traceIdRatioBased(config.ratio());
            case PARENT_BASED_ALWAYS_ON -> Sampler.parentBased(Sampler.alwaysOn());
            case PARENT_BASED_ALWAYS_OFF -> Sampler.parentBased(Sampler.alwaysOff());
            case PARENT_BASED_TRACE_ID_RATIO -> Sampler.parentBased(Sampler.traceIdRatioBased(config.ratio()));
        };
    }

    private record Inbound(String traceparent, String tracestate) {
    }
}
