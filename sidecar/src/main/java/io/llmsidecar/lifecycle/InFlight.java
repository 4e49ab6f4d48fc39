package io.llmsidecar.lifecycle;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests and streams the app-facing socket is serving right now: what a drain waits for, and the streams it
 * ends when its deadline passes.
 *
 * <p>Requests are counted by a {@link #filter() filter} around the whole routing, so every route counts. A stream
 * registers itself with {@link #watchStream()} while it relays; {@link #cutStreams()} then marks it and interrupts
 * its (virtual) thread, which closes the socket the relay is blocked reading from the gateway. The relay returns,
 * {@link StreamWatch#end()} tells it why, and it ends the app's stream with an error event and bills what was
 * streamed.
 */
public final class InFlight {
    private static final long POLL_MILLIS = 20;

    /** The threads serving a request now: one request per connection thread at a time. */
    private final Set<Thread> requests = ConcurrentHashMap.newKeySet();
    private final AtomicLong finished = new AtomicLong();
    private final Set<StreamWatch> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean cutting;

    /** Counts each request from the moment routing sees it until its handler returned (a stream's last byte). */
    public Filter filter() {
        return this::around;
    }

    private void around(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Thread thread = Thread.currentThread();
        requests.add(thread);
        try {
            chain.proceed();
        } finally {
            requests.remove(thread);
            finished.incrementAndGet();
        }
    }

    /** Requests being served now. */
    public int requests() {
        return requests.size();
    }

    /** Streams being relayed now. */
    public int streams() {
        return streams.size();
    }

    /** Requests finished since start. */
    public long finished() {
        return finished.get();
    }

    /** Waits until no request is in flight or {@code timeout} passed; true when none is left. */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!requests.isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return requests.isEmpty();
            }
        }
        return true;
    }

    /**
     * Registers the calling thread's stream as one the drain may end; call {@link StreamWatch#end()} (or close it)
     * when the relay returns, before writing anything more to the app.
     */
    public StreamWatch watchStream() {
        StreamWatch watch = new StreamWatch(Thread.currentThread());
        streams.add(watch);
        if (cutting) {
            // The deadline passed while this request was still on its way to the gateway: end it at once.
            watch.cut();
        }
        return watch;
    }

    /** Ends every stream being relayed, and any that starts from now on; returns how many were running. */
    public int cutStreams() {
        cutting = true;
        int cut = 0;
        for (StreamWatch watch : streams) {
            if (watch.cut()) {
                cut++;
            }
        }
        return cut;
    }

    /**
     * Interrupts every request in flight: for stopping at once ({@code Sidecar.close()}), so that a request waiting
     * on a silent gateway does not hold the server's stop for its whole shutdown grace period.
     */
    public void interruptAll() {
        cutStreams();
        requests.forEach(Thread::interrupt);
    }

    /** One stream being relayed, which the drain may end. */
    public final class StreamWatch implements AutoCloseable {
        private final Thread thread;
        private boolean cut;
        private boolean done;

        private StreamWatch(Thread thread) {
            this.thread = thread;
        }

        // The interrupt is sent under the lock and end() takes it, so no interrupt can arrive after end() cleared it.
        private synchronized boolean cut() {
            if (done || cut) {
                return false;
            }
            cut = true;
            thread.interrupt();
            return true;
        }

        /**
         * Stops watching; true when the drain ended the stream. Clears the interrupt the cut sent, so that writing the
         * error event to the app and settling the budget afterwards are not interrupted too.
         */
        public boolean end() {
            boolean wasCut;
            synchronized (this) {
                done = true;
                wasCut = cut;
            }
            streams.remove(this);
            if (wasCut) {
                Thread.interrupted();
            }
            return wasCut;
        }

        @Override
        public void close() {
            end();
        }
    }
}
