package io.llmsidecar.policy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces the evaluation timeout, which the Wasm runtime lacks: a daemon thread looks at the instances of every watched pool
 * a few times per timeout and interrupts evaluations past their deadline (Chicory's compiled code checks the
 * interrupt flag). A scan instead of a timer per evaluation keeps the hot path to two volatile writes, with no
 * shared queue or lock.
 */
final class EvaluationWatchdog implements AutoCloseable {
    private final Set<InstancePool> pools = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("policy-watchdog").daemon(true).factory());

    EvaluationWatchdog(Duration timeout) {
        long period = Math.max(1, timeout.toMillis() / 4);
        scanner.scheduleAtFixedRate(this::scan, period, period, TimeUnit.MILLISECONDS);
    }

    void watch(InstancePool pool) {
        pools.add(pool);
    }

    void forget(InstancePool pool) {
        pools.remove(pool);
    }

    private void scan() {
        long now = System.nanoTime();
        for (InstancePool pool : pools) {
            for (PolicyInstance instance : pool.live()) {
                instance.interruptIfOverdue(now);
            }
        }
    }

    @Override
    public void close() {
        scanner.shutdownNow();
    }
}
