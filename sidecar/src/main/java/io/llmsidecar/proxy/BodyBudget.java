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
 * <p>A gateway answer read whole is never refused: the gateway has served it, so dropping it would lose what the app
 * paid for, and only the answer's {@code usage} bills exactly. (A first version refused an answer that found no
 * room in time and billed its prompt as estimated.) An answer of announced length waits only while answers already
 * hold the bytes past the limit, then takes its whole length at once; so at most one such answer goes past the limit
 * at a time, by at most its own size, and the wait always ends: bodies alone never pass the limit, so whenever it is
 * passed an admitted answer is being read, and it ends. An answer of no announced length is counted as it arrives
 * and never waits: holding part of its bytes while waiting for more, two of them could wait for each other. While
 * answers hold more than the limit, new bodies wait too.
 */
final class BodyBudget {
    /** What the bytes are: it decides whether they wait for room, and what the app is told when there is none. */
    enum Part {
        /** A request body: waits in arrival order up to the wait, then 503; never forwarded without room. */
        REQUEST,
        /** A gateway answer of announced length: waits while answers hold the bytes past the limit, never refused. */
        ANSWER,
        /** The next bytes of a gateway answer of no announced length: counted at once. */
        ANSWER_PART
    }

    private final long capacity;
    private final long waitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition room = lock.newCondition();
    /** The request bodies waiting for room, oldest first; only the oldest may take it. Guarded by {@link #lock}. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private final LongAdder refusals = new LongAdder();
    private long held;                                   // guarded by lock
    private volatile long heldNow;                       // for the gauge, read without the lock

    BodyBudget(long capacity, Duration wait) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
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

    /** Request bodies refused for want of room since start. */
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

    /** Waits while answers hold the bytes past the limit (when {@code wait}), then takes all of {@code bytes}. */
    private void takeForAnswer(long bytes, boolean wait) {
        boolean interrupted = false;
        lock.lock();
        try {
            while (wait && held > capacity) {
                try {
                    room.await();
                } catch (InterruptedException e) {
                    interrupted = true;                  // a drain's deadline: the answer is still read and billed
                    break;
                }
            }
            add(bytes);
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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
     * One request's bytes. Used by the request's own thread; synchronized only so that a close from elsewhere cannot
     * lose a release.
     */
    final class Lease implements AutoCloseable {
        private long held;

        private Lease() {
        }

        /**
         * Takes {@code bytes} more. A request body waits for room and gets a 503 when there is none in time (a body is
         * at most {@code server.max-body-size}, which the limit is at least, so it fits once the others end); an
         * answer is never refused (see the class comment).
         */
        synchronized void take(long bytes, Part part) {
            if (bytes <= 0) {
                return;
            }
            if (part != Part.REQUEST) {
                takeForAnswer(bytes, part == Part.ANSWER);
                held += bytes;
                return;
            }
            long wanted = Math.min(bytes, capacity - held);
            if (wanted <= 0) {
                return;
            }
            boolean taken;
            try {
                taken = takeForBody(wanted);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();     // a drain's deadline: refused like a timeout
                taken = false;
            }
            if (!taken) {
                refusals.increment();
                throw SidecarException.bodiesInFlightFull(TimeUnit.NANOSECONDS.toMillis(waitNanos));
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
