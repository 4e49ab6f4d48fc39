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

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.time.Instant;
import io.llmsidecar.budget.BudgetStatus;

/**
 * {@link PolicyEvaluationBenchmark}'s evaluation in thread CPU time, robust to a shared machine: 30,000 warm-up
 * evaluations, then the best and median of 15 batches of 2,000, in CPU microseconds per evaluation. The optional
 * argument is a bundle to evaluate instead of the bundled policy (e.g. one built with another {@code opa build -O}
 * level). Run on the test classpath (docs/BENCHMARKS.md, "Issue 19").
 */
public final class PolicyEvaluationCpu {
    private PolicyEvaluationCpu() {
    }

    public static void main(String[] args) {
        Optional<Path> bundle = args.length > 0 ? Optional.of(Path.of(args[0])) : Optional.empty();
        PolicyConfig config = new PolicyConfig(Optional.empty(), bundle, Optional.empty(), Optional.empty(),
                                               Optional.empty(), Optional.empty(),
                                               PolicyConfig.FailureMode.FAIL_CLOSED, Duration.ofSeconds(5), 1,
                                               PolicyConfig.DEFAULT_WATCH_INTERVAL,
                                               PolicyConfig.DEFAULT_BUNDLE_POLL_INTERVAL,
                                               new PolicyConfig.DecisionLogTarget.Off(), false, true);
        ChatRequest request = ChatRequest.parse(BenchFixtures.chatRequest(1500).getBytes(StandardCharsets.UTF_8));
        Subject subject = new Subject("payments", "u-42", new PodIdentity("shop", "checkout-7d9f", "checkout",
                                                                          "checkout", "payments", true));
        Estimate estimate = new Estimate(330, 256, 203_100, Optional.of(new PricedModel(
                "gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000))));
        // The two budgets of make bench's sidecar-full mode (scripts/bench/sidecar-full.env), as their statuses.
        Instant day = Instant.parse("2026-12-07T00:00:00Z");
        Instant hour = Instant.parse("2026-12-07T09:00:00Z");
        List<BudgetStatus> budgets = List.of(
                new BudgetStatus("bench-team-day", "team=bench", day, day.plusSeconds(86_400),
                                 OptionalLong.of(1_000_000_000_000_000L), 0, 0,
                                 OptionalLong.of(1_000_000_000_000_000L), 0, 0),
                new BudgetStatus("bench-team-model-hour", "team=bench,model=gpt-4o-mini", hour,
                                 hour.plusSeconds(3_600), OptionalLong.of(1_000_000_000_000_000L), 0, 0,
                                 OptionalLong.empty(), 0, 0));
        try (PolicyEngine engine = PolicyEngine.start(config, new SidecarMetrics("bench"))) {
            Decision first = engine.evaluate(PolicyInput.of("bench", request, subject, estimate, budgets));
            if (!(first instanceof Decision.Allow)) {
                throw new IllegalStateException("the request must be allowed: " + first);
            }
            var threads = ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 30_000; i++) {
                engine.evaluate(PolicyInput.of("bench", request, subject, estimate, budgets));
            }
            long[] perEvaluation = new long[15];
            for (int batch = 0; batch < perEvaluation.length; batch++) {
                long start = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < 2_000; i++) {
                    engine.evaluate(PolicyInput.of("bench", request, subject, estimate, budgets));
                }
                perEvaluation[batch] = (threads.getCurrentThreadCpuTime() - start) / 2_000 / 1_000;
            }
            Arrays.sort(perEvaluation);
            System.out.printf("%s: CPU us/evaluation best %d, median %d%n", bundle.map(Path::toString)
                    .orElse("bundled"), perEvaluation[0], perEvaluation[perEvaluation.length / 2]);
        }
    }
}
