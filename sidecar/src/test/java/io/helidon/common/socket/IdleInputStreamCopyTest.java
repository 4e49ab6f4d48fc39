package io.helidon.common.socket;

import io.llmsidecar.testing.HelidonCopies;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar's copy of Helidon's {@link IdleInputStream}: the right version, in use, an answer that arrives while
 * the connection is idle handed on whole by the next read, and read timeouts enforced by {@link ReadDeadlines} for
 * reads on virtual threads (the socket's own for others), the idle monitor's included, on a real loopback socket.
 */
class IdleInputStreamCopyTest {
    /** The Helidon release the copy was taken from. */
    private static final String COPIED_FROM = "4.4.0";
    private static final byte[] ANSWER = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                                          + "\r\n{\"ok\":true}").getBytes(StandardCharsets.US_ASCII);

    @Test
    void theCopyMatchesTheHelidonOnTheClassPath() {
        HelidonCopies.assertHelidonRelease(PlainSocket.class, COPIED_FROM,
                                           "copy that release's common/socket/.../IdleInputStream.java over "
                                           + "sidecar/src/main/java/io/helidon/common/socket/ and make its idle read "
                                           + "take what has arrived and its reads watched by ReadDeadlines again "
                                           + "(marked \"LLM Policy Sidecar\"), or delete the copy");
    }

    @Test
    void theCopyIsTheOneLoaded() {
        HelidonCopies.assertCopyLoaded(IdleInputStream.class);
    }

    @Test
    void anAnswerThatArrivesWhileIdleComesInOneRead() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            pair.answerWhileMonitorReads(in);
            byte[] buf = new byte[8 * 1024];
            int n = in.read(buf, 0, buf.length);
            assertEquals(ANSWER.length, n, "the whole answer in the first read (Helidon's: 1 byte)");
            assertEquals(new String(ANSWER, StandardCharsets.US_ASCII),
                         new String(buf, 0, n, StandardCharsets.US_ASCII));
        }
    }

    @Test
    void smallReadsDrainWhatTheMonitorReadThenTheSocket() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            pair.answerWhileMonitorReads(in);
            OutputStream server = pair.server.getOutputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            assertEquals('H', in.read());
            got.write('H');
            byte[] buf = new byte[5];
            while (got.size() < ANSWER.length) {
                int n = in.read(buf, 0, buf.length);
                assertTrue(n > 0 && n <= 5, "read " + n);
                got.write(buf, 0, n);
            }
            server.write("more".getBytes(StandardCharsets.US_ASCII));
            server.flush();
            byte[] more = new byte[16];
            int n = in.read(more, 0, more.length);
            assertEquals("more", new String(more, 0, n, StandardCharsets.US_ASCII), "then from the socket");
            assertEquals(new String(ANSWER, StandardCharsets.US_ASCII), got.toString(StandardCharsets.US_ASCII));

            pair.answerWhileMonitorReads(in);      // idle again: the monitor's buffer is reused for the next answer
            byte[] whole = new byte[8 * 1024];
            assertEquals(ANSWER.length, in.read(whole, 0, whole.length));
        }
    }

    @Test
    void aConnectionTheServerClosesWhileIdleIsSeenClosed() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            in.idle();
            pair.server.close();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!in.isClosed() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(in.isClosed(), "the monitor saw the end of the stream");
        }
    }

    @Test
    void aVirtualThreadsReadWaitsUntimedAndTimesOutAtTheSocketsTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(2_000);
            IdleInputStream in = pair.idleStream();
            Reader reader = Reader.start(in);
            pair.awaitSoTimeout(0, "the read waits with no socket timeout");
            Throwable failure = reader.failure(5_000);
            assertInstanceOf(SocketTimeoutException.class, failure, "what the socket's own timeout threw");
            assertEquals("Read timed out", failure.getMessage());
            assertTrue(reader.millis >= 1_990 && reader.millis < 2_000 + ReadDeadlines.SWEEP_MILLIS + 900,
                       "timed out after " + reader.millis + " ms, the timeout being 2 s");
            assertFalse(reader.interruptedAfter, "the deadline's interrupt is not left on the reading thread");
            assertTrue(in.isClosed() && pair.client.isClosed(), "a timed-out connection is closed");
        }
    }

    @Test
    void aVirtualThreadsReadThatGetsItsBytesKeepsTheSocketAndItsTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(2_000);
            IdleInputStream in = pair.idleStream();
            Reader reader = Reader.start(in);
            pair.awaitSoTimeout(0, "the read waits with no socket timeout");
            Thread.sleep(100);
            pair.server.getOutputStream().write(ANSWER);
            pair.server.getOutputStream().flush();
            assertEquals(ANSWER.length, reader.bytes(5_000));
            assertEquals(2_000, pair.client.getSoTimeout(), "the socket's timeout is back for the next reader");
            assertFalse(reader.interruptedAfter);
            assertFalse(in.isClosed());
            Thread.sleep(2_000 + ReadDeadlines.SWEEP_MILLIS * 3);
            assertFalse(pair.client.isClosed(), "a read that ended is no longer watched");
        }
    }

    @Test
    void aPlatformThreadsReadKeepsTheSocketsOwnTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(2_000);
            IdleInputStream in = pair.idleStream();
            long started = System.nanoTime();
            assertThrows(SocketTimeoutException.class, () -> in.read(new byte[16], 0, 16));
            assertTrue(System.nanoTime() - started >= 1_990_000_000L);
            assertEquals(2_000, pair.client.getSoTimeout(), "not replaced: an interrupt would not end this read");
            assertFalse(pair.client.isClosed());
        }
    }

    @Test
    void aShortTimeoutStaysTheSocketsAndLeavesTheConnectionOpen() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(1_000);    // Helidon's wait for a 100 Continue
            IdleInputStream in = pair.idleStream();
            Reader reader = Reader.start(in);
            assertInstanceOf(SocketTimeoutException.class, reader.failure(5_000));
            assertEquals(1_000, pair.client.getSoTimeout());
            assertFalse(pair.client.isClosed() || in.isClosed(), "the client goes on using the connection");
            pair.server.getOutputStream().write(ANSWER);
            assertEquals(ANSWER.length, Reader.start(in).bytes(5_000));
        }
    }

    @Test
    void aShortWaitForTheMonitorsReadTimesOutAndTheNextReadGetsTheAnswer() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.monitoredStream();
            pair.client.setSoTimeout(1_000);    // a request that waits for a 100 Continue on a pooled connection
            Reader waitForContinue = Reader.start(in);
            assertInstanceOf(SocketTimeoutException.class, waitForContinue.failure(5_000));
            assertTrue(waitForContinue.millis >= 990 && waitForContinue.millis < 1_900,
                       "waited " + waitForContinue.millis + " ms");
            assertFalse(pair.client.isClosed() || in.isClosed(), "the connection stays open, the monitor reading");
            pair.client.setSoTimeout(Pair.CALLER_TIMEOUT_MILLIS);
            pair.server.getOutputStream().write(ANSWER);
            assertEquals(ANSWER.length, Reader.start(in).bytes(5_000), "what the monitor read, handed on");
        }
    }

    @Test
    void anIdleConnectionIsWatchedByOneUntimedReadThenClosedAtTheReadTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(2_000);
            IdleInputStream in = pair.idleStream();
            in.idle();
            Set<Integer> timeouts = new TreeSet<>();
            long started = System.nanoTime();
            long deadline = started + 10_000_000_000L;
            while (!in.isClosed() && System.nanoTime() < deadline) {
                if (!pair.client.isClosed()) {
                    timeouts.add(pair.client.getSoTimeout());
                }
                Thread.sleep(2);
            }
            long idledMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(in.isClosed(), "idle for the whole read timeout: closed, as Helidon's monitor closes it");
            assertTrue(idledMillis >= 1_950 && idledMillis < 2_000 + ReadDeadlines.SWEEP_MILLIS + 900,
                       "closed after " + idledMillis + " ms, the read timeout being 2 s");
            timeouts.remove(2_000);     // the caller's, if polled before the monitor started
            assertEquals(Set.of(0), timeouts, "the monitor's read is not timed by the socket (Helidon's: 101 ms "
                                              + "steps)");
            assertTrue(pair.client.isClosed());
        }
    }

    @Test
    void aCallerThatTakesOverTheMonitorsReadIsTimedOutAtItsOwnTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.monitoredStream();
            Thread.sleep(50);
            pair.client.setSoTimeout(2_100);    // as the client sets its read timeout per request
            Reader reader = Reader.start(in);
            Throwable failure = reader.failure(5_000);
            assertInstanceOf(SocketTimeoutException.class, failure, "what the caller's own timed read threw");
            assertTrue(reader.millis >= 2_090 && reader.millis < 2_100 + ReadDeadlines.SWEEP_MILLIS + 900,
                       "timed out after " + reader.millis + " ms: the caller's 2.1 s, not the monitor's 10 s");
            assertTrue(in.isClosed());
        }
    }

    @Test
    void anAnswerDuringTheMonitorsReadIsReadAtOnceAndTheCallersTimeoutComesBack() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.monitoredStream();
            Thread.sleep(300);
            long sent = System.nanoTime();
            pair.server.getOutputStream().write(ANSWER);
            pair.server.getOutputStream().flush();
            byte[] buf = new byte[8 * 1024];
            assertEquals(ANSWER.length, in.read(buf, 0, buf.length));
            long waitedMillis = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(waitedMillis < 500, "the answer waited " + waitedMillis + " ms");
            assertEquals(Pair.CALLER_TIMEOUT_MILLIS, pair.client.getSoTimeout(), "the caller's timeout is restored");
        }
    }

    @Test
    void manyWatchedReadsEachEndOnTimeOrOnTheirBytes() throws Exception {
        List<Pair> pairs = new ArrayList<>();
        try {
            List<Reader> readers = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Pair pair = new Pair();
                pairs.add(pair);
                pair.client.setSoTimeout(i % 2 == 0 ? 2_000 : 30_000);
                readers.add(Reader.start(pair.idleStream()));
            }
            Thread.sleep(300);
            for (int i = 1; i < 40; i += 2) {
                pairs.get(i).server.getOutputStream().write(ANSWER);
            }
            for (int i = 0; i < 40; i++) {
                Reader reader = readers.get(i);
                if (i % 2 == 0) {
                    assertInstanceOf(SocketTimeoutException.class, reader.failure(5_000), "reader " + i);
                } else {
                    assertEquals(ANSWER.length, reader.bytes(5_000), "reader " + i);
                    assertFalse(pairs.get(i).client.isClosed(), "reader " + i);
                }
                assertFalse(reader.interruptedAfter, "reader " + i);
            }
        } finally {
            for (Pair pair : pairs) {
                pair.close();
            }
        }
    }

    /** One read on a virtual thread, as the sidecar's client reads: what it got or threw, and how long it took. */
    private static final class Reader {
        private final CompletableFuture<Integer> result = new CompletableFuture<>();
        private volatile long millis;
        private volatile boolean interruptedAfter;

        static Reader start(IdleInputStream in) {
            Reader reader = new Reader();
            Thread.ofVirtual().start(() -> {
                long started = System.nanoTime();
                try {
                    int n = in.read(new byte[8 * 1024], 0, 8 * 1024);
                    reader.done(started);
                    reader.result.complete(n);
                } catch (Throwable e) {
                    reader.done(started);
                    reader.result.completeExceptionally(e);
                }
            });
            return reader;
        }

        private void done(long started) {
            millis = (System.nanoTime() - started) / 1_000_000;
            interruptedAfter = Thread.currentThread().isInterrupted();
        }

        int bytes(long waitMillis) throws Exception {
            return result.get(waitMillis, TimeUnit.MILLISECONDS);
        }

        Throwable failure(long waitMillis) throws Exception {
            try {
                int n = result.get(waitMillis, TimeUnit.MILLISECONDS);
                throw new AssertionError("read " + n + " bytes; expected a failure");
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }
    }

    /** A client socket with an idle stream over it, and the server's end. */
    private static final class Pair implements AutoCloseable {
        static final int CALLER_TIMEOUT_MILLIS = 10_000;

        final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        final Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        final Socket server = listener.accept();

        Pair() throws IOException {
            client.setSoTimeout(CALLER_TIMEOUT_MILLIS);
        }

        /**
         * Waits until the monitor is in its read (it sets the socket's timeout to 0 just before), so
         * that the answer written next is read by the monitor, as on a pooled connection, and not after a read that
         * cancelled the monitor before it started.
         */
        void awaitMonitorReading() throws Exception {
            awaitSoTimeout(0, "the idle monitor did not start reading");
            Thread.sleep(30);
        }

        /** Waits until the socket's timeout is {@code millis}, as a reader sets it just before it reads. */
        void awaitSoTimeout(int millis, String what) throws Exception {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (client.getSoTimeout() != millis && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(millis, client.getSoTimeout(), what);
        }

        /** Puts {@code in} in idle mode and, once its monitor is reading, sends the answer from the server's end. */
        void answerWhileMonitorReads(IdleInputStream in) throws Exception {
            in.idle();
            awaitMonitorReading();
            server.getOutputStream().write(ANSWER);
            server.getOutputStream().flush();
        }

        /** An idle stream whose monitor is reading (with no socket timeout), as on a pooled connection. */
        IdleInputStream monitoredStream() throws Exception {
            IdleInputStream in = idleStream();
            in.idle();
            awaitMonitorReading();
            return in;
        }

        IdleInputStream idleStream() throws IOException {
            return new IdleInputStream(client, client.getInputStream(), "test", "test");
        }

        @Override
        public void close() throws IOException {
            server.close();
            client.close();
            listener.close();
        }
    }
}
