package io.llmsidecar.tracing;

import io.llmsidecar.openai.Api;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What tracing costs one governed request on its own thread: the trace begun from the app's {@code traceparent}, the
 * three stage spans, the upstream span and its header, and the server span's attributes; {@code off} is propagation
 * only (no endpoint), {@code on} exports every span through the SDK's batch queue to a sink that drops them (the
 * export thread's work is not on the request's thread and not in the score). In package {@code tracing} for its
 * package-private exporter hook; run it with {@code scripts/jmh.sh TracingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracingBenchmark {
    private static final URI TARGET = URI.create("http://gateway.internal:4000/v1/chat/completions");
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final SpanFacts FACTS = new SpanFacts(
            "gpt-4o-mini", "gpt-4o-mini", 300, false, 200, "allowed", "", "", "a934e9ab0be066dd", "payments",
            "sha256:9f2c41d07a3b", "allow", List.of(), List.of(), "", "settled", 15, 245, 0, 0, "gateway", 0.00014925,
            List.of("stop"), 0);

    @Param({"off", "on"})
    public String export;

    private Tracing tracing;
    private final AtomicLong exported = new AtomicLong();

    @Setup(Level.Trial)
    public void start() {
        tracing = export.equals("off")
                ? Tracing.off()
                : Tracing.create(TracingConfig.off(), "bench", new SpanExporter() {
                    @Override
                    public CompletableResultCode export(Collection<SpanData> spans) {
                        exported.addAndGet(spans.size());
                        return CompletableResultCode.ofSuccess();
                    }

                    @Override
                    public CompletableResultCode flush() {
                        return CompletableResultCode.ofSuccess();
                    }

                    @Override
                    public CompletableResultCode shutdown() {
                        return CompletableResultCode.ofSuccess();
                    }
                });
    }

    @TearDown(Level.Trial)
    public void stop() {
        System.out.println("\nexported " + exported.get() + " spans, dropped " + tracing.droppedSpans());
        tracing.close();
    }

    @Benchmark
    public void governedRequest(Blackhole bh) {
        RequestTrace trace = tracing.governed(Api.CHAT_COMPLETIONS, "POST", "/v1/chat/completions", TRACEPARENT, null);
        bh.consume(trace.within(Stage.POLICY, () -> Boolean.TRUE));
        bh.consume(trace.within(Stage.BUDGET_RESERVE, () -> Boolean.TRUE));
        UpstreamCall call = trace.upstreamCall("POST", TARGET);
        call.inject((name, value) -> bh.consume(value));
        call.end(200, null);
        trace.run(Stage.BUDGET_SETTLE, () -> bh.consume(1));
        if (trace.recording()) {
            trace.end(FACTS);
        }
    }
}
