package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of governed request bodies and of gateway answers read whole that the sidecar holds in memory at once
 * ({@code server.max-inflight-body-bytes}). The heap is sized for this many bytes in flight, not for every connection
 * sending {@code server.max-body-size}: without a bound a burst of large prompts would end in
 * {@link OutOfMemoryError} and a restart, taking every request in flight with it.
 *
 * <p>A request takes its body's bytes before they are read (the announced length, or step by step as a chunked body
 * arrives) and gives everything back when its {@link Lease} closes, whatever ended it. A body with no room waits up
 * to {@code server.inflight-body-wait} in arrival order (a large body is not starved by small ones), then is refused
 * with 503 and never forwarded.
 *
 * <p>Answers come after their request's body is held, so they must not wait for the bodies queued behind them, nor
 * for the room those hold: two bodies of the maximum size fill the default budget, and if their answers waited for
 * room none of the four could finish. An answer may therefore go past the limit by up to {@code answerAllowance}
 * (the largest body); only beyond that does it wait, and the room it waits for is given back by requests that end.
 * The heap must hold the limit plus that allowance.
 */
final class BodyBudget {
    /** What was being read when the budget had no room: it decides what the app is told. */
    enum Part { REQUEST, ANSWER }

    private final long capacity;
    private final long answerAllowance;
    private final long waitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    /** The request bodies waiting for room, oldest first; only the oldest may take it. Guarded by {@link #lock}. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private final LongAdder refusals = new LongAdder();
    private long held;                                   // guarded by lock
    private volatile long heldNow;                       // for the gauge, read without the lock

    BodyBudget(long capacity, long answerAllowance, Duration wait) {
        if (capacity < 1 || answerAllowance < 0) {
            throw new IllegalArgumentException("capacity " + capacity + ", answer allowance " + answerAllowance);
        }
        this.capacity = capacity;
        this.answerAllowance = answerAllowance;
        this.waitNanos = wait.toNanos();
    }

    /** An empty hold for one request; close it when the request ends. */
    Lease lease() {
        return new Lease();
    }

    /** Bytes held now, for the gauge. */
    long inFlight() {
        return heldNow;
    }

    long capacity() {
        return capacity;
    }

    /** Request bodies waiting for room now. */
    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Requests and answers refused for want of room since start. */
    long refusals() {
        return refusals.sum();
    }

    private boolean takeForBody(long bytes) throws InterruptedException {
        lock.lock();
        try {
            if (queue.isEmpty() && held + bytes <= capacity) {
                add(bytes);
                return true;
            }
            Object turn = new Object();
            queue.addLast(turn);
            try {
                long left = waitNanos;
                while (queue.peekFirst() != turn || held + bytes > capacity) {
                    if (left <= 0) {
                        return false;
                    }
                    left = room.awaitNanos(left);
                }
                add(bytes);
                return true;
            } finally {
                queue.remove(turn);
                room.signalAll();                        // the next in line may fit now, or may be first now
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean takeForAnswer(long bytes) throws InterruptedException {
        lock.lock();
        try {
            long left = waitNanos;
            while (held + bytes > capacity + answerAllowance) {
                if (left <= 0) {
                    return false;
                }
                left = room.awaitNanos(left);
            }
            add(bytes);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void add(long bytes) {
        held += bytes;
        heldNow = held;
    }

    private void giveBack(long bytes) {
        lock.lock();
        try {
            add(-bytes);
            room.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * One request's bytes. It never holds more than the limit plus the answer allowance, so a request alone always
     * fits: beyond that (an answer of no announced length, say) it reads without taking more, as before this budget
     * existed. Used by the request's own thread; synchronized only so that a close from elsewhere cannot lose a
     * release.
     */
    final class Lease implements AutoCloseable {
        private long held;

        private Lease() {
        }

        /** Takes {@code bytes} more, waiting for room; a 503 when there is none in time. */
        synchronized void take(long bytes, Part part) {
            long limit = part == Part.REQUEST ? capacity : capacity + answerAllowance;
            long wanted = Math.min(bytes, limit - held);
            if (wanted <= 0) {
                return;
            }
            boolean taken;
            try {
                taken = part == Part.REQUEST ? takeForBody(wanted) : takeForAnswer(wanted);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();     // a drain's deadline: refused like a timeout
                taken = false;
            }
            if (!taken) {
                refusals.increment();
                throw SidecarException.bodiesInFlightFull(part == Part.REQUEST,
                                                          TimeUnit.NANOSECONDS.toMillis(waitNanos));
            }
            held += wanted;
        }

        /** Bytes this request holds. */
        synchronized long held() {
            return held;
        }

        /** Gives back everything held; a second close gives back nothing. */
        @Override
        public synchronized void close() {
            if (held > 0) {
                giveBack(held);
                held = 0;
            }
        }
    }
}
