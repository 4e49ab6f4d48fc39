package io.llmsidecar.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gateway's event stream, read on a virtual thread of its own so that the relay gets, in one read, every event
 * that has arrived while it was writing the last ones to the app.
 *
 * <p>Why: the web client hands out a chunked body one HTTP chunk per read, and a gateway sends each event as its own
 * chunk. Read directly, a burst of events that came in one TCP segment cost one write and flush to the app per
 * event: a system call each, the largest share of a stream's CPU (docs/BENCHMARKS.md, issue 19). Here the reader
 * keeps reading while the relay writes, so a burst leaves as one write, as a proxy that reads the socket itself
 * (Envoy, nginx) relays it; events that come one at a time still leave one at a time, at once.
 *
 * <p>Everything else is as if the relay read the gateway itself: at most {@link #CAPACITY} bytes wait here (then the
 * reader waits, and the gateway's TCP window closes as before); the end of the body, and any exception the read
 * threw, reach the relay after the bytes before them, as the same exception; an interrupt of the relay (a drain's
 * deadline) ends its read with an {@link InterruptedIOException} and leaves the thread interrupted, as an
 * interrupted socket read does. {@link #close()} stops a reader that has not seen the end, which closes the
 * gateway's connection (an interrupted virtual thread's socket read closes its socket): what leaving a stream
 * unread did before, and what cancels the generation at the gateway. It returns once the reader has stopped, so the
 * web client's response is never used by two threads (should an interrupt not end the read within five seconds, it
 * returns with a warning: closing the response then closes the connection under the read).
 */
final class ReadAhead extends InputStream {
    static final int CAPACITY = 256 * 1024;
    private static final int READ_SIZE = 16 * 1024;
    private static final int MIN_READ = 1024;
    /**
     * Where the queue and the read array start; both grow as reads ask for more. A stream's burst is a few KB, and
     * 16 KiB arrays for each (with the relay's) were a quarter of the bytes a pass-through stream allocated, so a
     * quarter of its young collections under the image's 65 MiB heap (docs/BENCHMARKS.md, issue 19, item 19).
     */
    private static final int INITIAL_SIZE = 2 * 1024;
    private static final long STOP_MILLIS = 5_000;
    private static final System.Logger LOG = System.getLogger(ReadAhead.class.getName());

    private final InputStream upstream;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private final Thread reader;
    private byte[] buffer = new byte[INITIAL_SIZE];
    private int start;          // guarded by lock, as are the fields below
    private int end;
    private boolean finished;   // the reader saw the end of the body, or failure
    private Throwable failure;
    private boolean closed;

    private ReadAhead(InputStream upstream) {
        this.upstream = upstream;
        this.reader = Thread.ofVirtual().name("sidecar-stream-reader").unstarted(this::readLoop);
    }

    /** Starts reading {@code upstream} ahead of the caller. */
    static ReadAhead start(InputStream upstream) {
        ReadAhead ahead = new ReadAhead(upstream);
        ahead.reader.start();
        return ahead;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    /** Blocks until a byte has arrived, then returns every byte that has (up to {@code len}). */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (start == end && !finished) {
                try {
                    readable.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the gateway's stream");
                }
            }
            if (start < end) {
                int n = Math.min(len, end - start);
                System.arraycopy(buffer, start, b, off, n);
                start += n;
                if (start == end) {
                    start = 0;
                    end = 0;
                }
                writable.signal();
                return n;
            }
            if (failure != null) {
                throw rethrown(failure);
            }
            return -1;
        } finally {
            lock.unlock();
        }
    }

    /** The bytes that have arrived and wait to be read: a read asking for them all gets them all. */
    @Override
    public int available() {
        lock.lock();
        try {
            return end - start;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the body has ended and every byte of it has been read: the next read returns -1 at once. A relay that
     * knows its last write is the last can leave it to the response's close, which sends it with the body's end.
     */
    boolean ended() {
        lock.lock();
        try {
            return finished && failure == null && start == end;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the reader if it has not reached the end (closing the gateway's connection) and waits for it. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            writable.signal();
        } finally {
            lock.unlock();
        }
        if (reader.isAlive()) {
            reader.interrupt();
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_MILLIS);
        while (reader.isAlive() && System.nanoTime() < deadline) {
            try {
                reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                interrupted = true;     // the caller is being stopped too; the reader still has to be
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (reader.isAlive()) {
            // Not thrown: the stream's outcome is known and must be settled. Closing the response next closes the
            // gateway's connection, which ends the reader's read.
            LOG.log(System.Logger.Level.WARNING, "The gateway's stream reader did not stop within " + STOP_MILLIS
                                                 + " ms of being interrupted; closing its connection");
        }
    }

    private void readLoop() {
        byte[] chunk = new byte[INITIAL_SIZE];
        int ask = MIN_READ;
        while (true) {
            if (ask > chunk.length) {
                chunk = new byte[ask];
            }
            int n;
            try {
                n = upstream.read(chunk, 0, ask);
            } catch (Throwable t) {
                finish(t);
                return;
            }
            if (n < 0) {
                finish(null);
                return;
            }
            if (!append(chunk, n)) {
                return;
            }
            // The web client allocates a buffer of the size asked for each read, which returns one chunk (one
            // event, a few hundred bytes): asking for 16 KiB each time allocated 16 KiB per event. Ask for twice
            // the last read instead, within bounds; a larger chunk comes in more than one read.
            ask = Math.clamp(2L * n, MIN_READ, READ_SIZE);
        }
    }

    /** Queues {@code n} bytes, waiting while {@link #CAPACITY} are queued; false once closed or interrupted. */
    private boolean append(byte[] chunk, int n) {
        lock.lock();
        try {
            while (end - start + n > CAPACITY && !closed) {
                try {
                    writable.await();
                } catch (InterruptedException e) {
                    return false;
                }
            }
            if (closed) {
                return false;
            }
            if (end + n > buffer.length) {
                if (start > 0) {
                    System.arraycopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end + n > buffer.length) {
                    buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, end + n));
                }
            }
            System.arraycopy(chunk, 0, buffer, end, n);
            end += n;
            readable.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void finish(Throwable t) {
        lock.lock();
        try {
            finished = true;
            failure = t;
            readable.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The read's own exception, as the relay would have caught it reading the gateway itself. */
    private static IOException rethrown(Throwable t) {
        if (t instanceof IOException io) {
            return io;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new UncheckedIOException(new IOException(t));
    }
}
