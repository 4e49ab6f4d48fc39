package io.llmsidecar.proxy;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadAheadTest {
    private static final Object END = new Object();

    /** Hands out what the test queues, one item per read, as the web client hands out one HTTP chunk per read. */
    private static final class ScriptedUpstream extends InputStream {
        final LinkedBlockingDeque<Object> items = new LinkedBlockingDeque<>();
        final AtomicInteger reads = new AtomicInteger();
        volatile boolean interruptedWhileBlocked;

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            reads.incrementAndGet();
            Object item;
            try {
                item = items.take();
            } catch (InterruptedException e) {
                interruptedWhileBlocked = true;
                throw new InterruptedIOException("closed by interrupt");
            }
            if (item == END) {
                return -1;
            }
            if (item instanceof IOException e) {
                throw e;
            }
            if (item instanceof RuntimeException e) {
                throw e;
            }
            byte[] bytes = (byte[]) item;
            if (bytes.length > len) {       // the rest of a chunk comes with the next read, as from the web client
                items.addFirst(java.util.Arrays.copyOfRange(bytes, len, bytes.length));
                System.arraycopy(bytes, 0, b, off, len);
                return len;
            }
            System.arraycopy(bytes, 0, b, off, bytes.length);
            return bytes.length;
        }
    }

    private static byte[] event(int i) {
        return ("data: {\"n\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void awaitQueued(ScriptedUpstream upstream) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!upstream.items.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(20);      // the reader has taken the last item; let it queue it
    }

    @Test
    void eventsThatArrivedWhileTheRelayWasBusyComeInOneRead() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 24; i++) {
            upstream.items.add(event(i));
            expected.writeBytes(event(i));
        }
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            awaitQueued(upstream);
            byte[] buf = new byte[64 * 1024];
            int n = ahead.read(buf, 0, buf.length);
            assertEquals(expected.size(), n, "all 24 events in one read");
            assertArrayEquals(expected.toByteArray(), java.util.Arrays.copyOf(buf, n));
            upstream.items.add(END);
            assertEquals(-1, ahead.read(buf, 0, buf.length));
        }
    }

    @Test
    void endedOnlyOnceTheEndWasReadAndEveryByteHandedOut() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        upstream.items.addAll(List.of(event(1), END));
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            awaitQueued(upstream);
            assertFalse(ahead.ended(), "an event is still waiting to be read");
            byte[] buf = new byte[1024];
            assertArrayEquals(event(1), java.util.Arrays.copyOf(buf, ahead.read(buf, 0, buf.length)));
            assertTrue(ahead.ended(), "the end was read behind the event");
            assertEquals(-1, ahead.read(buf, 0, buf.length));
        }
        ScriptedUpstream open = new ScriptedUpstream();
        open.items.add(event(1));
        try (ReadAhead ahead = ReadAhead.start(open)) {
            byte[] buf = new byte[1024];
            ahead.read(buf, 0, buf.length);
            assertFalse(ahead.ended(), "the gateway has not ended its body");
        }
        ScriptedUpstream failing = new ScriptedUpstream();
        failing.items.add(new IOException("reset"));
        try (ReadAhead ahead = ReadAhead.start(failing)) {
            assertThrows(IOException.class, () -> ahead.read(new byte[16], 0, 16));
            assertFalse(ahead.ended(), "a failed body has not ended");
        }
    }

    @Test
    void anEventArrivingAloneIsHandedOverAtOnce() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            byte[] buf = new byte[1024];
            for (int i = 0; i < 5; i++) {
                upstream.items.add(event(i));
                int n = ahead.read(buf, 0, buf.length);
                assertArrayEquals(event(i), java.util.Arrays.copyOf(buf, n));
            }
            upstream.items.add(END);
            assertEquals(-1, ahead.read(buf, 0, buf.length));
        }
    }

    @Test
    void aSmallReadGetsTheRestOnTheNextRead() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        upstream.items.addAll(List.of(event(1), event(2), END));
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            awaitQueued(upstream);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[3];
            int n;
            while ((n = ahead.read(buf, 0, buf.length)) >= 0) {
                assertTrue(n > 0 && n <= 3);
                got.write(buf, 0, n);
            }
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.writeBytes(event(1));
            expected.writeBytes(event(2));
            assertArrayEquals(expected.toByteArray(), got.toByteArray());
        }
    }

    @Test
    void theReadsOwnExceptionArrivesAfterTheBytesBeforeIt() throws Exception {
        IOException timeout = new java.net.SocketTimeoutException("Read timed out");
        ScriptedUpstream upstream = new ScriptedUpstream();
        upstream.items.addAll(List.of(event(1), timeout));
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            awaitQueued(upstream);
            byte[] buf = new byte[1024];
            assertEquals(event(1).length, ahead.read(buf, 0, buf.length));
            assertSame(timeout, assertThrows(IOException.class, () -> ahead.read(buf, 0, buf.length)));
        }
    }

    @Test
    void anUncheckedExceptionOfTheWebClientArrivesUnchanged() throws Exception {
        // SseRelay reads Helidon's own unchecked exception as the end of a close-delimited body, and an
        // UncheckedIOException as a failure: each must reach it as the same type.
        for (RuntimeException thrown : List.of(new IllegalStateException("connection closed"),
                                               new UncheckedIOException(new IOException("reset")))) {
            ScriptedUpstream upstream = new ScriptedUpstream();
            upstream.items.add(thrown);
            try (ReadAhead ahead = ReadAhead.start(upstream)) {
                assertSame(thrown, assertThrows(RuntimeException.class, () -> ahead.read(new byte[8], 0, 8)));
            }
        }
    }

    @Test
    void anInterruptedRelayStopsWaitingAndStaysInterrupted() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            Thread relay = Thread.ofVirtual().start(() -> {
                try {
                    ahead.read(new byte[8], 0, 8);
                } catch (IOException e) {
                    thrown.set(e);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            Thread.sleep(50);
            relay.interrupt();
            assertTrue(relay.join(Duration.ofSeconds(5)));
        }
        assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
        assertTrue(stillInterrupted.get());
    }

    @Test
    void closeStopsAReaderBlockedOnTheGatewayByInterruptingIt() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        upstream.items.add(event(1));
        ReadAhead ahead = ReadAhead.start(upstream);
        byte[] buf = new byte[1024];
        assertEquals(event(1).length, ahead.read(buf, 0, buf.length));
        Thread.sleep(20);           // the reader is now blocked reading the gateway
        ahead.close();
        assertTrue(upstream.interruptedWhileBlocked, "the blocked read was interrupted (closing the connection)");
        int reads = upstream.reads.get();
        upstream.items.add(event(2));
        Thread.sleep(20);
        assertEquals(reads, upstream.reads.get(), "nothing is read after close");
    }

    @Test
    void closeAfterTheEndLeavesTheConnectionAlone() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        upstream.items.addAll(List.of(event(1), END));
        ReadAhead ahead = ReadAhead.start(upstream);
        byte[] buf = new byte[1024];
        assertEquals(event(1).length, ahead.read(buf, 0, buf.length));
        assertEquals(-1, ahead.read(buf, 0, buf.length));
        ahead.close();
        assertFalse(upstream.interruptedWhileBlocked);
    }

    @Test
    void aRelayThatDoesNotReadStopsTheReaderAtTheCapacity() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        byte[] chunk = new byte[8 * 1024];
        int chunks = 2 * ReadAhead.CAPACITY / chunk.length;
        for (int i = 0; i < chunks; i++) {
            upstream.items.add(chunk);
        }
        upstream.items.add(END);
        try (ReadAhead ahead = ReadAhead.start(upstream)) {
            Thread.sleep(200);
            long left = upstream.items.stream().filter(item -> item instanceof byte[])
                    .mapToLong(item -> ((byte[]) item).length).sum();
            long taken = (long) chunks * chunk.length - left;
            assertTrue(taken <= ReadAhead.CAPACITY + 16 * 1024,
                       taken + " bytes taken from the gateway while the relay read nothing");
            assertTrue(taken >= ReadAhead.CAPACITY / 2, taken + " bytes read ahead");
            long total = 0;
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = ahead.read(buf, 0, buf.length)) >= 0) {
                total += n;
            }
            assertEquals((long) chunks * chunk.length, total, "nothing lost once the relay reads again");
        }
    }

    @Test
    void aReaderStoppedWhileWaitingForRoomReadsNoMore() throws Exception {
        ScriptedUpstream upstream = new ScriptedUpstream();
        byte[] chunk = new byte[16 * 1024];
        for (int i = 0; i < 2 * ReadAhead.CAPACITY / chunk.length; i++) {
            upstream.items.add(chunk);
        }
        ReadAhead ahead = ReadAhead.start(upstream);
        Thread.sleep(100);
        CountDownLatch closed = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            ahead.close();
            closed.countDown();
        });
        assertTrue(closed.await(5, TimeUnit.SECONDS), "close returned");
        int reads = upstream.reads.get();
        Thread.sleep(20);
        assertEquals(reads, upstream.reads.get());
    }
}
