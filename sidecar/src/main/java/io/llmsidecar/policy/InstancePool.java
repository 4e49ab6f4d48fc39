package io.llmsidecar.policy;

import io.llmsidecar.rego.RegoBuiltins;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The loaded instances of one policy revision, lent to one evaluation at a time. Unlike the SDK's own pool it
 * never clears an instance's data document (reloading data on every return doubled the median evaluation time),
 * and it takes no lock: a semaphore counts idle instances and a lock-free queue holds them.
 *
 * <p>Every instance runs the revision's one compiled {@link OpaModule}; what each adds is its own Wasm memory.
 * An instance that failed in any way is discarded, since its memory may be inconsistent, and a replacement is
 * built in the background; requests never pay for building one.
 */
final class InstancePool {
    private static final System.Logger LOG = System.getLogger(InstancePool.class.getName());

    private final OpaModule module;
    private final PolicyBundle bundle;
    private final RegoBuiltins builtins;
    private final int entrypoint;
    private final int size;
    private final Executor background;
    private final Semaphore idleCount = new Semaphore(0);
    private final ConcurrentLinkedQueue<PolicyInstance> idle = new ConcurrentLinkedQueue<>();
    /** Every live instance, for the watchdog; changes only when instances are added or discarded. */
    private final List<PolicyInstance> live = new CopyOnWriteArrayList<>();
    private volatile boolean retired;

    private InstancePool(OpaModule module, PolicyBundle bundle, RegoBuiltins builtins, int entrypoint, int size,
                         Executor background) {
        this.module = module;
        this.bundle = bundle;
        this.builtins = builtins;
        this.entrypoint = entrypoint;
        this.size = size;
        this.background = background;
    }

    /**
     * Builds the first instance on the calling thread, so that a policy that cannot load fails here, and the
     * other {@code size - 1} on {@code background}.
     */
    static InstancePool start(OpaModule module, PolicyBundle bundle, RegoBuiltins builtins, int size,
                              Executor background) throws PolicyLoadException {
        PolicyInstance first = PolicyInstance.create(module, bundle.data(), builtins, -1);
        InstancePool pool = new InstancePool(module, bundle, builtins, first.entrypoint(), size, background);
        pool.add(first);
        for (int i = 1; i < size; i++) {
            background.execute(pool::addOne);
        }
        return pool;
    }

    /** An idle instance, waiting up to {@code timeoutNanos} for one; {@code null} when none became free. */
    PolicyInstance borrow(long timeoutNanos) throws InterruptedException {
        if (!idleCount.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return null;
        }
        return idle.poll();
    }

    void release(PolicyInstance instance) {
        idle.offer(instance);
        idleCount.release();
    }

    /** Drops an instance that failed and builds its replacement in the background. */
    void discard(PolicyInstance instance) {
        live.remove(instance);
        if (!retired) {
            background.execute(this::addOne);
        }
    }

    /** Stops replacing instances; the pool is dropped once in-flight evaluations have returned theirs. */
    void retire() {
        retired = true;
    }

    List<PolicyInstance> live() {
        return live;
    }

    /** The compiled module every instance of this pool shares. */
    OpaModule module() {
        return module;
    }

    int size() {
        return size;
    }

    int ready() {
        return live.size();
    }

    private void addOne() {
        if (retired) {
            return;
        }
        try {
            add(PolicyInstance.create(module, bundle.data(), builtins, entrypoint));
        } catch (PolicyLoadException | RuntimeException e) {
            LOG.log(Level.WARNING, "Could not build a policy instance (revision " + bundle.revision() + "): "
                                   + e.getMessage());
        }
    }

    private void add(PolicyInstance instance) {
        live.add(instance);
        release(instance);
    }
}
