package io.llmsidecar.policy;

import io.llmsidecar.rego.Evaluation;
import io.llmsidecar.rego.RegoBuiltins;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One evaluation slot of a policy revision: an {@link OpaInstance} (its own Wasm memory with the data document
 * loaded, over the revision's shared compiled module) and the bookkeeping that lets the {@link EvaluationWatchdog}
 * interrupt an evaluation that runs too long.
 *
 * <p>Not thread-safe: the {@link InstancePool} lends it to one thread at a time.
 */
final class PolicyInstance {
    private final OpaInstance opa;
    private final int entrypoint;
    private volatile Run current;

    private PolicyInstance(OpaInstance opa, int entrypoint) {
        this.opa = opa;
        this.entrypoint = entrypoint;
    }

    /**
     * Instantiates the revision's module, loads the data document once and selects the entrypoint: by name for
     * the first instance of a revision, then by the id it resolved.
     *
     * @param entrypoint the entrypoint's id, or -1 to look {@code sidecar/decision} up
     */
    static PolicyInstance create(OpaModule module, String data, RegoBuiltins builtins, int entrypoint)
            throws PolicyLoadException {
        OpaInstance opa = module.instantiate(data, builtins);
        int id = entrypoint >= 0 ? entrypoint : entrypointOf(opa);
        return new PolicyInstance(opa, id);
    }

    int entrypoint() {
        return entrypoint;
    }

    OpaModule module() {
        return opa.module();
    }

    int memoryPages() {
        return opa.memoryPages();
    }

    int memoryBytesHeld() {
        return opa.memoryBytesHeld();
    }

    private static int entrypointOf(OpaInstance opa) throws PolicyLoadException {
        Integer id = opa.entrypoints().get(OpaCompiler.ENTRYPOINT);
        if (id == null) {
            throw new PolicyLoadException("the policy has no entrypoint " + OpaCompiler.ENTRYPOINT + " (it has "
                                          + opa.entrypoints().keySet() + "); define data.sidecar.decision and "
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
        return evaluate(input.getBytes(StandardCharsets.UTF_8), epochNanos, deadlineNanos);
    }

    /** {@link #evaluate(String, long, long)} on the document's UTF-8 bytes, which are only read. */
    String evaluate(byte[] input, long epochNanos, long deadlineNanos) {
        Run run = new Run(Thread.currentThread(), deadlineNanos);
        current = run;
        boolean interrupted = false;
        try {
            return opa.evaluate(entrypoint, input, new Evaluation(epochNanos));
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
