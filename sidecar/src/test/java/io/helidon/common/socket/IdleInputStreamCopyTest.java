package io.helidon.common.socket;

import io.llmsidecar.testing.HelidonCopies;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar's copy of Helidon's {@link IdleInputStream}: the right version, in use, an answer that arrives while
 * the connection is idle handed on whole by the next read, and a monitor started only for a connection still idle
 * after the watch's delay ({@link IdleWatch}), on a real loopback socket. The watch here waits 50 ms (the sidecar's:
 * 1 s).
 */
class IdleInputStreamCopyTest {
    private static final IdleWatch WATCH = new IdleWatch(Duration.ofMillis(50), Duration.ofMillis(10));
    /** The Helidon release the copy was taken from. */
    private static final String COPIED_FROM = "4.4.0";
    private static final byte[] ANSWER = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                                          + "\r\n{\"ok\":true}").getBytes(StandardCharsets.US_ASCII);

    @Test
    void theCopyMatchesTheHelidonOnTheClassPath() {
        HelidonCopies.assertHelidonRelease(PlainSocket.class, COPIED_FROM,
                                           "copy that release's common/socket/.../IdleInputStream.java over "
                                           + "sidecar/src/main/java/io/helidon/common/socket/ and make its idle read "
                                           + "take what has arrived again (marked \"LLM Policy Sidecar\"), or delete "
                                           + "the copy");
    }

    @Test
    void theCopyIsTheOneLoaded() {
        HelidonCopies.assertCopyLoaded(IdleInputStream.class);
    }

    @Test
    void anAnswerThatArrivesWhileIdleComesInOneRead() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            in.idle();
            pair.awaitMonitorReading();
            pair.server.getOutputStream().write(ANSWER);
            pair.server.getOutputStream().flush();
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
            in.idle();
            pair.awaitMonitorReading();
            OutputStream server = pair.server.getOutputStream();
            server.write(ANSWER);
            server.flush();
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

            in.idle();      // idle again: the monitor's buffer is reused for the next answer
            pair.awaitMonitorReading();
            server.write(ANSWER);
            server.flush();
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
    void aConnectionUsedAgainWithinTheDelayStartsNoMonitor() throws Exception {
        IdleWatch slow = new IdleWatch(Duration.ofSeconds(30), Duration.ofMillis(10));
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream(slow);
            OutputStream server = pair.server.getOutputStream();
            for (int i = 0; i < 3; i++) {
                in.idle();
                assertEquals(1, slow.watched());
                Thread.sleep(50);           // five sweeps
                server.write(ANSWER);
                server.flush();
                byte[] buf = new byte[8 * 1024];
                int n = in.read(buf, 0, buf.length);
                assertEquals(new String(ANSWER, StandardCharsets.US_ASCII),
                             new String(buf, 0, n, StandardCharsets.US_ASCII));
                assertEquals(0, slow.watched(), "a connection in use is out of the watch");
            }
            assertEquals(0, in.monitorsStarted(), "a monitor ran");
            assertEquals(10_000, pair.client.getSoTimeout());
        }
    }

    @Test
    void aConnectionStillIdleAfterTheDelayIsMonitoredAndLeavesTheWatch() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            in.idle();
            pair.awaitMonitorReading();
            assertEquals(1, in.monitorsStarted());
            assertEquals(0, watchedAfterSweeps(), "a monitored connection is out of the sweep");
            pair.server.getOutputStream().write(ANSWER);
            pair.server.getOutputStream().flush();
            assertEquals(ANSWER.length, in.read(new byte[8 * 1024], 0, 8 * 1024));
        }
    }

    @Test
    void aConnectionClosedWhileIdleLeavesTheWatch() throws Exception {
        IdleWatch slow = new IdleWatch(Duration.ofSeconds(30), Duration.ofMillis(10));
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream(slow);
            in.idle();
            assertEquals(1, slow.watched());
            in.close();
            assertEquals(0, slow.watched());
            in.idle();
            assertEquals(0, slow.watched(), "a closed connection does not go idle");
        }
    }

    /** The test watch's count once it has swept (other tests' streams may be in it too, for a moment). */
    private static int watchedAfterSweeps() throws Exception {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (WATCH.watched() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return WATCH.watched();
    }

    /** A client socket with an idle stream over it, and the server's end. */
    private static final class Pair implements AutoCloseable {
        final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        final Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        final Socket server = listener.accept();

        Pair() throws IOException {
            client.setSoTimeout(10_000);
        }

        /**
         * Waits until the monitor is in its read (it sets the socket's timeout to its 101 ms step just before), so
         * that the answer written next is read by the monitor, as on a pooled connection, and not after a read that
         * cancelled the monitor before it started.
         */
        void awaitMonitorReading() throws Exception {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (client.getSoTimeout() != 101 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(101, client.getSoTimeout(), "the idle monitor did not start reading");
            Thread.sleep(30);
        }

        IdleInputStream idleStream() throws IOException {
            return idleStream(WATCH);
        }

        IdleInputStream idleStream(IdleWatch watch) throws IOException {
            return new IdleInputStream(client, client.getInputStream(), "test", "test", watch);
        }

        @Override
        public void close() throws IOException {
            server.close();
            client.close();
            listener.close();
        }
    }
}
