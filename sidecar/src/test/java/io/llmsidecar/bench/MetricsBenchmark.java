package io.llmsidecar.bench;

import io.llmsidecar.metrics.SidecarMetrics;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What recording one finished chat completion costs in metrics: the calls {@code ExchangeRecorder} makes for a
 * streamed request (one counter, the token and cost counters, three histograms). Target: at most 2 µs.
 * {@link #recordTwoThreads} has both cores record at once, as under load.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MetricsBenchmark {
    private final SidecarMetrics metrics = new SidecarMetrics("bench");

    @Benchmark
    public void recordRequest() {
        record();
    }

    @Benchmark
    @Threads(2)
    public void recordTwoThreads() {
        record();
    }

    private void record() {
        metrics.request("gpt-4o-mini", "allowed", 200);
        metrics.usage("gpt-4o-mini", "payments", 412, 245, 128, 0, "gateway", 0.00021);
        metrics.upstreamLatency("gpt-4o-mini", 812_000_000L);
        metrics.overhead(95_000L);
        metrics.timeToFirstToken("gpt-4o-mini", 240_000_000L);
    }
}
