package io.helidon.common.socket;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Part of the LLM Policy Sidecar's changes to Helidon's web client (not a Helidon class; in this package for
 * {@link IdleInputStream}'s package-private methods): starts the idle monitor of a pooled gateway connection only
 * once the connection has been idle for {@link #DEFAULT_DELAY}, instead of the moment it goes back to the pool.
 *
 * <p>Why: Helidon watches every pooled connection with a monitor, a virtual thread that reads the socket in 101 ms
 * steps until the connection is used again, so that a connection the gateway closed while it sat in the pool is seen
 * closed and not used. Started on every release, the monitor costs each request a thread, a timed read on the JDK's
 * poller and delay scheduler, and the hand-over of the answer's first bytes from the monitor to the request's thread:
 * at a request every 5 ms on one connection, 1,003 against 771 µs of CPU per request without it
 * (docs/BENCHMARKS.md, issue 19). A connection used again within the delay, which is every connection of a pod that
 * sends a request a second or more, never starts one.
 *
 * <p>What the delay gives up: a gateway that closes a connection within the delay after its last answer, without
 * saying so ({@code Connection: close}), is not seen before the next request is sent on it, which then fails (502 to
 * the app, nothing billed: the gateway never read it). Gateways close idle connections after their keep-alive
 * timeout, seconds at the least (Gunicorn 2 s, Uvicorn and Node 5 s, nginx 75 s), and a close at any moment races
 * the next request with or without a monitor; a monitor started at once only narrows that window from the delay to
 * the time between the close and the next request.
 *
 * <p>One platform thread per JVM sweeps the idle connections every {@link #DEFAULT_PERIOD}: the streams are created
 * inside Helidon's socket code with nothing to pass a watch through, so the shared one is held here. A connection is
 * in the sweep only while it is idle (from its release to its next read); the thread parks while none has been for
 * a minute.
 */
final class IdleWatch {
    static final Duration DEFAULT_DELAY = Duration.ofSeconds(1);
    static final Duration DEFAULT_PERIOD = Duration.ofMillis(500);
    private static final long PARK_AFTER_EMPTY_NANOS = Duration.ofMinutes(1).toNanos();

    private static volatile IdleWatch shared;

    private final long delayNanos;
    private final long periodNanos;
    private final Set<IdleInputStream> idle = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean parked;

    IdleWatch(Duration delay, Duration period) {
        this.delayNanos = delay.toNanos();
        this.periodNanos = period.toNanos();
        this.thread = Thread.ofPlatform().daemon(true).name("sidecar-idle-connection-watch").unstarted(this::sweep);
        thread.start();
    }

    /** The watch of every pooled connection in this JVM, started with the first one that goes idle. */
    static IdleWatch shared() {
        IdleWatch watch = shared;
        if (watch == null) {
            synchronized (IdleWatch.class) {
                watch = shared;
                if (watch == null) {
                    watch = new IdleWatch(DEFAULT_DELAY, DEFAULT_PERIOD);
                    shared = watch;
                }
            }
        }
        return watch;
    }

    /** Whether the shared watch exists: a stream that never went idle has nothing to take out of it. */
    static boolean sharedStarted() {
        return shared != null;
    }

    /** The stream went idle: its monitor is started once it has been idle for the delay. */
    void add(IdleInputStream stream) {
        idle.add(stream);
        if (parked) {
            LockSupport.unpark(thread);
        }
    }

    /** The stream is in use again, or closed. */
    void remove(IdleInputStream stream) {
        idle.remove(stream);
    }

    /** How many streams are idle and not yet monitored (tests). */
    int watched() {
        return idle.size();
    }

    private void sweep() {
        long emptySince = System.nanoTime();
        while (true) {
            LockSupport.parkNanos(this, periodNanos);
            long now = System.nanoTime();
            if (idle.isEmpty()) {
                if (now - emptySince > PARK_AFTER_EMPTY_NANOS) {
                    parked = true;
                    if (idle.isEmpty()) {       // an add after the flag was set unparks; one before it is seen here
                        LockSupport.park(this);
                    }
                    parked = false;
                    emptySince = System.nanoTime();
                }
                continue;
            }
            emptySince = now;
            for (IdleInputStream stream : idle) {
                if (!stream.monitorIfIdleFor(now, delayNanos)) {
                    idle.remove(stream);
                }
            }
        }
    }
}
