package io.llmsidecar.bench;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.policy.PolicyConfig;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.policy.PolicyInput;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The policy step of every request: build the input document for a ~1.5 KB chat request and evaluate the bundled
 * default policy set (allow-list, limits, cost, secret scan) in-process, result parsed into a {@link Decision}.
 * Targets: p50 at most 50 us and p99 at most 200 us on one core; throughput should grow with {@code -t 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(1)
public class PolicyEvaluationBenchmark {
    private PolicyEngine engine;
    private ChatRequest request;
    private Subject subject;
    private Estimate estimate;

    @Setup(Level.Trial)
    public void load() {
        PolicyConfig config = new PolicyConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                               Optional.empty(), Optional.empty(),
                                               PolicyConfig.FailureMode.FAIL_CLOSED, Duration.ofSeconds(1), 2,
                                               PolicyConfig.DEFAULT_WATCH_INTERVAL,
                                               PolicyConfig.DEFAULT_BUNDLE_POLL_INTERVAL,
                                               new PolicyConfig.DecisionLogTarget.Off(), false, true);
        engine = PolicyEngine.start(config, new SidecarMetrics("bench"));
        request = ChatRequest.parse(BenchFixtures.chatRequest(1500).getBytes(StandardCharsets.UTF_8));
        subject = new Subject("payments", "u-42", new PodIdentity("shop", "checkout-7d9f", "checkout", "checkout",
                                                                   "payments", true));
        estimate = new Estimate(330, 256, 203_100, Optional.of(new PricedModel(
                "gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000))));
        if (!(evaluate() instanceof Decision.Allow)) {
            throw new IllegalStateException("the benchmark request must be allowed: " + evaluate());
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        engine.close();
    }

    @Benchmark
    public Decision evaluate() {
        return engine.evaluate(PolicyInput.of("bench", request, subject, estimate, List.of()));
    }
}
