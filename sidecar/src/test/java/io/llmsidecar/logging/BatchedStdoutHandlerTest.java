package io.llmsidecar.logging;

import io.llmsidecar.testing.BrokenPipe;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.ErrorManager;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchedStdoutHandlerTest {
    /** Counts write calls: one per batch, not one per line. */
    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public synchronized void write(int b) {
            writes.incrementAndGet();
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.incrementAndGet();
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    private static LogRecord record(String message) {
        LogRecord record = new LogRecord(Level.INFO, message);
        record.setLoggerName("io.llmsidecar.access");
        return record;
    }

    @Test
    void linesFromManyThreadsAreAllWrittenOnceInEachThreadsOrderAndManyToAWrite() throws Exception {
        CountingStream out = new CountingStream();
        BatchedStdoutHandler handler = new BatchedStdoutHandler(out);
        int threads = 16;
        int perThread = 2_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            started.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                for (int i = 0; i < perThread; i++) {
                    handler.publish(record("thread=" + id + " line=" + i + " é✓"));
                }
            }));
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        handler.flush();

        Map<Integer, Integer> next = new HashMap<>();
        String[] lines = out.text().split(System.lineSeparator());
        assertEquals(threads * perThread, lines.length);
        for (String line : lines) {
            assertTrue(line.matches(".* INFO io\\.llmsidecar\\.access: thread=\\d+ line=\\d+ é✓"), line);
            String message = line.substring(line.indexOf("thread="));
            int id = Integer.parseInt(message.substring(7, message.indexOf(' ')));
            int index = Integer.parseInt(message.substring(message.indexOf("line=") + 5, message.lastIndexOf(' ')));
            assertEquals(next.getOrDefault(id, 0), index, "thread " + id + "'s lines in order");
            next.put(id, index + 1);
        }
        assertTrue(out.writes.get() < lines.length / 4, out.writes.get() + " write calls for " + lines.length + " lines");
        handler.close();
    }

    @Test
    void closeWritesEverythingQueuedAndIgnoresLaterLines() {
        CountingStream out = new CountingStream();
        BatchedStdoutHandler handler = new BatchedStdoutHandler(out);
        for (int i = 0; i < 500; i++) {
            handler.publish(record("line " + i));
        }
        handler.close();
        handler.publish(record("after close"));

        String[] lines = out.text().split(System.lineSeparator());
        assertEquals(500, lines.length);
        assertTrue(lines[499].endsWith("line 499"), lines[499]);
    }

    @Test
    void aBrokenStdoutIsReportedAndNeverBlocksTheCallers() throws Exception {
        OutputStream broken = new BrokenPipe();
        BatchedStdoutHandler handler = new BatchedStdoutHandler(broken);
        AtomicInteger errors = new AtomicInteger();
        handler.setErrorManager(new ErrorManager() {
            @Override
            public synchronized void error(String msg, Exception ex, int code) {
                assertEquals(ErrorManager.WRITE_FAILURE, code);
                assertFalse(msg.contains("line "), msg);   // the lines themselves may hold request data
                errors.incrementAndGet();
            }
        });
        Thread caller = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 3 * BatchedStdoutHandler.CAPACITY; i++) {
                handler.publish(record("line " + i));
            }
        });
        assertTrue(caller.join(java.time.Duration.ofSeconds(10)), "callers finished");
        handler.flush();
        assertTrue(errors.get() > 0);
        handler.close();
    }

    @Test
    void aStalledStdoutMakesCallersWaitOnceTheQueueIsFullAndLosesNothing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountingStream sink = new CountingStream();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                sink.write(b, off, len);
            }
        };
        BatchedStdoutHandler handler = new BatchedStdoutHandler(stalled);
        int lines = 2 * BatchedStdoutHandler.CAPACITY + 10;
        AtomicInteger published = new AtomicInteger();
        Thread caller = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < lines; i++) {
                handler.publish(record("line " + i));
                published.incrementAndGet();
            }
        });
        TimeUnit.MILLISECONDS.sleep(300);
        int whileStalled = published.get();
        assertTrue(whileStalled >= BatchedStdoutHandler.CAPACITY && whileStalled < lines,
                   whileStalled + " published while stdout stalls");
        release.countDown();
        caller.join();
        handler.close();
        assertEquals(lines, sink.text().split(System.lineSeparator()).length);
    }
}
