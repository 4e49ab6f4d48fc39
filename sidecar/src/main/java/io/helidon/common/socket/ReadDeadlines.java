package io.helidon.common.socket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Read timeouts of the web client's sockets without a timer per read: the sidecar's own class (not a Helidon copy),
 * used by its copy of {@link IdleInputStream}, which reads on virtual threads with no socket timeout and registers
 * each read here; one sweeper thread interrupts a read still waiting at its deadline, which closes the socket under
 * it (a virtual thread interrupted in a socket read closes the socket), and the read is then reported as the
 * {@code SocketTimeoutException} the socket's timeout would have thrown.
 *
 * <p>Why: a virtual thread's timed socket read schedules a task on the JDK's delay scheduler when it has to wait and
 * cancels it when the bytes come, and both wake the scheduler's thread. Every answer and every burst of a stream was
 * such a read: 7.5% of a pass-through stream's CPU, and 3 of a stream's 10 system calls were futex calls to and from
 * that thread (docs/BENCHMARKS.md, issue 19, item 30). A read registered here costs a set insertion and removal.
 *
 * <p>A deadline is enforced by the next sweep after it: at most {@link #SWEEP_MILLIS} late. The sweeper sleeps
 * untimed while no read is registered. One per JVM, as the delay scheduler it stands in for: Helidon makes each
 * {@code IdleInputStream} itself, with no way to hand it an instance.
 */
final class ReadDeadlines {
    /** How often waiting reads are checked, so how late a read timeout may fire. */
    static final long SWEEP_MILLIS = 100;
    /**
     * The shortest read timeout watched here; shorter ones stay the socket's. A watched read that times out closes
     * its connection, and a short timeout is how Helidon's client waits for a {@code 100 Continue} (one second by
     * default) before it sends the body anyway on the same connection.
     */
    static final int WATCHED_FROM_MILLIS = 2_000;
    private static final ReadDeadlines SHARED = new ReadDeadlines();

    private final Set<Watch> reads = ConcurrentHashMap.newKeySet();
    private final Thread sweeper = Thread.ofPlatform().daemon().name("sidecar-read-deadlines").unstarted(this::sweep);
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean sleeping;

    static ReadDeadlines shared() {
        return SHARED;
    }

    /** Registers a read by the current (virtual) thread that must end within {@code timeoutMillis}. */
    Watch watch(long timeoutMillis) {
        Watch watch = new Watch(Thread.currentThread(), System.nanoTime() + timeoutMillis * 1_000_000L);
        reads.add(watch);
        if (!started.get() && started.compareAndSet(false, true)) {
            sweeper.start();
        } else if (sleeping) {
            sleeping = false;
            LockSupport.unpark(sweeper);
        }
        return watch;
    }

    /**
     * Ends the watch of a read that returned or threw; whether its deadline fired. When it did, the interrupt that
     * ended (or came just after) the read is cleared, so the reading thread carries no interrupt of ours.
     */
    boolean end(Watch watch) {
        reads.remove(watch);
        if (watch.state.compareAndSet(State.READING, State.DONE)) {
            return false;
        }
        while (watch.state.get() != State.FIRED) {
            Thread.onSpinWait();                    // the sweeper is between its claim and its interrupt
        }
        Thread.interrupted();
        return true;
    }

    private void sweep() {
        while (true) {
            long now = System.nanoTime();
            for (Watch watch : reads) {
                if (now - watch.deadlineNanos >= 0 && watch.state.compareAndSet(State.READING, State.FIRING)) {
                    watch.reader.interrupt();
                    watch.state.set(State.FIRED);
                }
            }
            if (reads.isEmpty()) {
                sleeping = true;
                if (reads.isEmpty()) {
                    LockSupport.park(this);         // until watch() unparks: nothing to time out meanwhile
                }
                sleeping = false;
            } else {
                LockSupport.parkNanos(this, SWEEP_MILLIS * 1_000_000L);
            }
        }
    }

    /** One registered read: its thread, its deadline (which a caller taking over the idle monitor's read moves). */
    static final class Watch {
        private final Thread reader;
        private final AtomicReference<State> state = new AtomicReference<>(State.READING);
        private volatile long deadlineNanos;

        private Watch(Thread reader, long deadlineNanos) {
            this.reader = reader;
            this.deadlineNanos = deadlineNanos;
        }

        /** The read must now end within {@code timeoutMillis} from now. */
        void extend(long timeoutMillis) {
            deadlineNanos = System.nanoTime() + timeoutMillis * 1_000_000L;
        }
    }

    /** Where a watched read is: the sweeper and the reader each claim the end of {@code READING} once. */
    private enum State {
        READING,
        /** The sweeper claimed it and is interrupting the reader. */
        FIRING,
        FIRED,
        /** The read ended before its deadline fired. */
        DONE
    }
}
