package io.llmsidecar.logging;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.ErrorManager;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

/**
 * Log lines on stdout, written many to one {@code write(2)} by a thread of its own.
 *
 * <p>Why: the sidecar writes two or three lines per request (access log, settlement event, decision event). A
 * console handler flushes each, one system call per line, which was about 5% of the sidecar's CPU per request in a
 * profile at 16 connections ({@code docs/BENCHMARKS.md}, issue 19). Here the caller formats its line and queues
 * it; the writer wakes on the first line, lingers {@link #LINGER_NANOS} so that the lines of other requests join
 * it, and writes them all at once. Under load that is one system call for tens of lines; one request at a time it
 * is one per request, as before, a millisecond later.
 *
 * <p>Nothing is dropped: a full queue ({@link #CAPACITY} lines) makes callers wait, as a slow stdout made them wait
 * before. Lines keep their order. {@link #close()}, which {@code java.util.logging} calls when the JVM exits (after
 * the drain: see {@code TerminationSignals}), writes what is queued. What a JVM killed outright had queued, at most
 * the last {@link #LINGER_NANOS}' lines, is lost.
 *
 * <p>Configured in {@code logging.properties} ({@code handlers=io.llmsidecar.logging.BatchedStdoutHandler}); its
 * {@code .formatter} and {@code .level} properties are read as the JDK's handlers read theirs, and the formatter
 * defaults to {@link OneLineFormatter}.
 */
public final class BatchedStdoutHandler extends Handler {
    static final int CAPACITY = 4096;
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(4);

    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final OutputStream out;
    private final Thread writer;
    private final Object progress = new Object();
    private final AtomicLong queued = new AtomicLong();   // lines accepted
    private long written;       // lines written (or that failed to be); guarded by progress
    private volatile boolean closed;

    /** The handler {@code logging.properties} names: stdout, formatter and level from the properties. */
    public BatchedStdoutHandler() {
        this(new FileOutputStream(FileDescriptor.out));
        LogManager manager = LogManager.getLogManager();
        String prefix = getClass().getName();
        setFormatter(formatter(manager.getProperty(prefix + ".formatter")));
        String level = manager.getProperty(prefix + ".level");
        setLevel(level == null ? Level.ALL : Level.parse(level.strip()));
    }

    BatchedStdoutHandler(OutputStream out) {
        this.out = out;
        setFormatter(new OneLineFormatter());
        this.writer = Thread.ofPlatform().name("sidecar-log-writer").daemon(true).start(this::writeLoop);
    }

    @Override
    public void publish(LogRecord record) {
        if (closed || !isLoggable(record)) {
            return;
        }
        String line;
        try {
            line = getFormatter().format(record);
        } catch (RuntimeException e) {
            reportError("Cannot format a log record", e, ErrorManager.FORMAT_FAILURE);
            return;
        }
        queued.incrementAndGet();
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(line);
                break;
            } catch (InterruptedException e) {
                interrupted = true;     // a line is not dropped because its caller is being interrupted
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (at most a second) until every line published before the call is written. */
    @Override
    public void flush() {
        awaitWritten(TimeUnit.SECONDS.toNanos(1));
    }

    /** Writes what is queued (waiting at most five seconds) and stops the writer; later lines are ignored. */
    @Override
    public void close() {
        closed = true;
        awaitWritten(TimeUnit.SECONDS.toNanos(5));
        writer.interrupt();
    }

    private void awaitWritten(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        long target = queued.get();
        synchronized (progress) {
            while (written < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void writeLoop() {
        List<String> batch = new ArrayList<>(256);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                if (closed && queue.isEmpty()) {
                    return;
                }
                continue;
            }
            if (queue.size() < CAPACITY / 2) {
                LockSupport.parkNanos(LINGER_NANOS);
            }
            queue.drainTo(batch);
            for (String line : batch) {
                bytes.writeBytes(line.getBytes(StandardCharsets.UTF_8));
            }
            try {
                bytes.writeTo(out);
                out.flush();
            } catch (IOException e) {
                reportError("Cannot write " + batch.size() + " log line(s) to stdout", e, ErrorManager.WRITE_FAILURE);
            }
            synchronized (progress) {
                written += batch.size();
                progress.notifyAll();
            }
            batch.clear();
            if (bytes.size() > 1024 * 1024) {
                bytes = new ByteArrayOutputStream(64 * 1024);   // one huge burst does not pin its buffer
            } else {
                bytes.reset();
            }
        }
    }

    private static Formatter formatter(String className) {
        if (className == null || className.isBlank()) {
            return new OneLineFormatter();
        }
        try {
            return (Formatter) ClassLoader.getSystemClassLoader().loadClass(className.strip())
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("logging.properties names formatter " + className
                                               + ", which cannot be made: " + e);
        }
    }
}
