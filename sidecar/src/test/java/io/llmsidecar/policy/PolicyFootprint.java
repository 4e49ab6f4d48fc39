package io.llmsidecar.policy;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Measures what the bundled default policy costs a fresh JVM: time from {@link PolicyEngine#start} to the first
 * decision, time until the whole pool is built, and retained heap per pool instance (heap after a full GC with
 * {@code pool} instances minus the heap with one, divided by {@code pool - 1}). Not a test: run it in its own JVM,
 * see docs/BENCHMARKS.md.
 *
 * <pre>java -cp sidecar/target/test-classes:sidecar/target/classes:$(cat sidecar/target/test.classpath) \
 *     io.llmsidecar.policy.PolicyFootprint 8</pre>
 */
public final class PolicyFootprint {
    private PolicyFootprint() {
    }

    public static void main(String[] args) throws Exception {
        int pool = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        SidecarMetrics metrics = new SidecarMetrics("footprint");
        PolicyInput input = input();
        long started = System.nanoTime();
        try (PolicyEngine one = PolicyEngine.start(config(1), metrics)) {
            Decision first = one.evaluate(input);
            long firstNanos = System.nanoTime() - started;
            System.out.printf("first decision (%s) %.1f ms after PolicyEngine.start, %d ms after JVM start%n",
                              first.getClass().getSimpleName(), firstNanos / 1e6,
                              System.currentTimeMillis() - jvmStart);
            long heapOne = retainedHeap();
            long poolStarted = System.nanoTime();
            try (PolicyEngine many = PolicyEngine.start(config(pool), metrics)) {
                while (many.enforcedLoader().status().instancesReady() < pool) {
                    Thread.sleep(5);
                }
                long poolNanos = System.nanoTime() - poolStarted;
                many.evaluate(input);
                long heapMany = retainedHeap();
                System.out.printf("second engine with %d instances ready in %.1f ms; retained heap %.1f MiB "
                                  + "(one engine of 1: %.1f MiB); per extra instance %.2f MiB%n",
                                  pool, poolNanos / 1e6, heapMany / 1048576.0, heapOne / 1048576.0,
                                  (heapMany - heapOne) / 1048576.0 / pool);
            }
        }
    }

    private static long retainedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static PolicyConfig config(int poolSize) {
        return new PolicyConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                Optional.empty(), Optional.empty(), PolicyConfig.FailureMode.FAIL_CLOSED,
                                Duration.ofSeconds(5), poolSize, PolicyConfig.DEFAULT_WATCH_INTERVAL,
                                PolicyConfig.DEFAULT_BUNDLE_POLL_INTERVAL, new PolicyConfig.DecisionLogTarget.Off(),
                                false, true);
    }

    private static PolicyInput input() {
        String body = "{\"model\":\"gpt-4o-mini\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\","
                      + "\"content\":\"Summarise the attached meeting notes in three bullet points.\"}]}";
        ChatRequest request = ChatRequest.parse(body.getBytes(StandardCharsets.UTF_8));
        Subject subject = new Subject("payments", "u-42", new PodIdentity("shop", "checkout-7d9f", "checkout",
                                                                          "checkout", "payments", true));
        Estimate estimate = new Estimate(330, 256, 203_100, Optional.of(new PricedModel(
                "gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000))));
        return PolicyInput.of("footprint", request, subject, estimate, List.of());
    }
}
