package io.llmsidecar.proxy;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * {@link SseRelayBenchmark}'s methods measured in thread CPU time rather than wall time, so a machine shared with
 * other builds still gives comparable figures: after a warm-up, 15 batches of 5,000 streams each; prints the best
 * and the median batch in CPU nanoseconds per event. Run on the test classpath (docs/BENCHMARKS.md, "Issue 19").
 */
public final class SseRelayCpu {
    private SseRelayCpu() {
    }

    public static void main(String[] args) {
        var benchmark = new SseRelayBenchmark();
        var threads = ManagementFactory.getThreadMXBean();
        String[] names = {"relayEventPerRead", "relayEventPerReadCountingTokens", "inspectOnly"};
        Runnable[] runs = {benchmark::relayEventPerRead, benchmark::relayEventPerReadCountingTokens,
                           benchmark::inspectOnly};
        for (int i = 0; i < 40_000; i++) {
            for (Runnable run : runs) {
                run.run();
            }
        }
        for (int k = 0; k < runs.length; k++) {
            long[] perEvent = new long[15];
            for (int batch = 0; batch < perEvent.length; batch++) {
                long start = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < 5_000; i++) {
                    runs[k].run();
                }
                perEvent[batch] = (threads.getCurrentThreadCpuTime() - start) / (5_000L * SseRelayBenchmark.EVENTS);
            }
            Arrays.sort(perEvent);
            System.out.printf("%-34s CPU ns/event: best %d, median %d%n", names[k], perEvent[0],
                              perEvent[perEvent.length / 2]);
        }
    }
}
