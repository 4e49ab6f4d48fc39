package io.llmsidecar.policy;

import com.styra.opa.wasm.OpaPolicy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded copy of a policy: a Wasm instance with the data document already in its memory, its own builtins,
 * and the bookkeeping that lets the {@link EvaluationWatchdog} interrupt an evaluation that runs too long.
 *
 * <p>Not thread-safe: the {@link InstancePool} lends it to one thread at a time. Loading costs 0.2-1 s of CPU and
 * about 4 MiB, so instances are built in the background and reused; only the input changes per evaluation.
 */
final class PolicyInstance {
    /** Up to 256 MiB of Wasm memory: enough for a 4 MiB request many times over, bounded for a runaway policy. */
    static final int MAX_MEMORY_PAGES = 4096;

    private final OpaPolicy policy;
    private final Builtins builtins;
    private final int entrypoint;
    private volatile Run current;

    private PolicyInstance(OpaPolicy policy, Builtins builtins, int entrypoint) {
        this.policy = policy;
        this.builtins = builtins;
        this.entrypoint = entrypoint;
    }

    /**
     * Instantiates the module (Chicory's compiler, never the ~100x slower interpreter), loads the data document
     * once and selects the entrypoint: by name for the first instance of a bundle, then by the id it resolved.
     *
     * @param entrypoint the entrypoint's id, or -1 to look {@code sidecar/decision} up
     */
    static PolicyInstance create(PolicyBundle bundle, int entrypoint) throws PolicyLoadException {
        Builtins builtins = new Builtins();
        OpaPolicy policy;
        try {
            policy = OpaPolicy.builder()
                    .withPolicy(bundle.wasm())
                    .withDefaultBuiltins(false)          // the SDK's would replace ours, sprintf included
                    .addBuiltins(builtins.all())
                    .withMaxMemory(MAX_MEMORY_PAGES)
                    .build();
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the Wasm module cannot be loaded (" + e.getMessage() + "); build it with "
                                          + "opa 1.10.x, which emits the Wasm ABI 1.3 the sidecar reads", e);
        }
        int id = entrypoint >= 0 ? entrypoint : entrypointOf(policy);
        policy.entrypoint(id);
        try {
            policy.data(bundle.data());
        } catch (RuntimeException e) {
            throw new PolicyLoadException("the policy's data document cannot be loaded: " + e.getMessage(), e);
        }
        return new PolicyInstance(policy, builtins, id);
    }

    int entrypoint() {
        return entrypoint;
    }

    private static int entrypointOf(OpaPolicy policy) throws PolicyLoadException {
        Integer id = policy.entrypoints().get(OpaCompiler.ENTRYPOINT);
        if (id == null) {
            throw new PolicyLoadException("the policy has no entrypoint " + OpaCompiler.ENTRYPOINT + " (it has "
                                          + policy.entrypoints().keySet() + "); define data.sidecar.decision and "
                                          + "build with -e " + OpaCompiler.ENTRYPOINT);
        }
        return id;
    }

    /**
     * Evaluates the entrypoint for {@code input} (a JSON document) and returns OPA's result set as JSON.
     *
     * @throws EvaluationTimeoutException when the watchdog interrupted the evaluation at {@code deadlineNanos}
     */
    String evaluate(String input, long epochNanos, long deadlineNanos) {
        Run run = new Run(Thread.currentThread(), deadlineNanos);
        current = run;
        boolean interrupted = false;
        try {
            builtins.startEvaluation(epochNanos);
            policy.input(input);
            return policy.evaluate();
        } finally {
            current = null;
            if (!run.compareAndSet(Run.RUNNING, Run.DONE)) {
                // The watchdog claimed this run; wait until its interrupt has landed so it can be cleared here
                // and not hit whatever this thread does next.
                while (run.get() != Run.INTERRUPTED) {
                    Thread.onSpinWait();
                }
                Thread.interrupted();
                interrupted = true;
            }
            if (interrupted) {
                throw new EvaluationTimeoutException();
            }
        }
    }

    /** Called by the watchdog: interrupts the running evaluation if it is past its deadline. */
    void interruptIfOverdue(long nowNanos) {
        Run run = current;
        if (run != null && nowNanos - run.deadlineNanos > 0 && run.compareAndSet(Run.RUNNING, Run.INTERRUPTING)) {
            run.thread.interrupt();
            run.set(Run.INTERRUPTED);
        }
    }

    /** One evaluation: the state moves RUNNING → DONE, or RUNNING → INTERRUPTING → INTERRUPTED by the watchdog. */
    private static final class Run extends AtomicInteger {
        static final int RUNNING = 0;
        static final int DONE = 1;
        static final int INTERRUPTING = 2;
        static final int INTERRUPTED = 3;

        final transient Thread thread;
        final long deadlineNanos;

        Run(Thread thread, long deadlineNanos) {
            super(RUNNING);
            this.thread = thread;
            this.deadlineNanos = deadlineNanos;
        }
    }

    /** The evaluation ran past the policy timeout and was interrupted. */
    static final class EvaluationTimeoutException extends RuntimeException {
        EvaluationTimeoutException() {
            super("the evaluation exceeded policy.evaluation-timeout", null, false, false);
        }
    }
}
