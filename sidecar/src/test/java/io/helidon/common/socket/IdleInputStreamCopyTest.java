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
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sidecar's copy of Helidon's {@link IdleInputStream}: the right version, in use, an answer that arrives while
 * the connection is idle handed on whole by the next read, and the idle monitor's long timed reads (an answer or
 * a close still ends them at once), on a real loopback socket.
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
                                           + "take what has arrived and its steps long again (marked \"LLM Policy "
                                           + "Sidecar\"), or delete the copy");
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
    void theMonitorsStepIsLongAndAnEighthOfTheReadTimeoutAtMost() {
        assertEquals(5_101, IdleInputStream.iterationMillis(300_000, 0), "the sidecar's 300 s read timeout");
        assertEquals(5_101, IdleInputStream.iterationMillis(300_000, 60_000));
        assertEquals(1_250, IdleInputStream.iterationMillis(10_000, 0), "an eighth of the read timeout");
        assertEquals(101, IdleInputStream.iterationMillis(500, 0), "never under Helidon's step");
        assertEquals(50, IdleInputStream.iterationMillis(500, 450), "never past the read timeout");
        assertEquals(101, IdleInputStream.iterationMillis(0, 0), "no read timeout: Helidon's step");
    }

    @Test
    void anIdleConnectionIsWatchedInLongStepsThenClosedAtTheReadTimeout() throws Exception {
        try (Pair pair = new Pair()) {
            pair.client.setSoTimeout(2_000);
            IdleInputStream in = pair.idleStream();
            in.idle();
            Set<Integer> steps = new TreeSet<>();
            long started = System.nanoTime();
            long deadline = started + 10_000_000_000L;
            while (!in.isClosed() && System.nanoTime() < deadline) {
                steps.add(pair.client.getSoTimeout());
                Thread.sleep(2);
            }
            long idledMillis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(in.isClosed(), "idle for the whole read timeout: closed, as Helidon's monitor closes it");
            assertTrue(idledMillis >= 1_900, "closed after " + idledMillis + " ms, before the 2 s read timeout");
            assertTrue(steps.contains(250), "no 2,000 / 8 ms step seen: " + steps);
            steps.remove(2_000);        // the caller's timeout, if polled before the monitor set its step
            assertEquals(Set.of(250), steps, "the monitor's steps");
        }
    }

    @Test
    void anAnswerDuringALongStepIsReadAtOnceAndTheCallersTimeoutComesBack() throws Exception {
        try (Pair pair = new Pair()) {
            IdleInputStream in = pair.idleStream();
            in.idle();
            int step = IdleInputStream.iterationMillis(Pair.CALLER_TIMEOUT_MILLIS, 0);
            assertEquals(1_250, step);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (pair.client.getSoTimeout() != step && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(step, pair.client.getSoTimeout(), "the monitor's step");
            Thread.sleep(50);
            long sent = System.nanoTime();
            pair.server.getOutputStream().write(ANSWER);
            pair.server.getOutputStream().flush();
            byte[] buf = new byte[8 * 1024];
            assertEquals(ANSWER.length, in.read(buf, 0, buf.length));
            long waitedMillis = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(waitedMillis < 900, "the answer waited for the step's end (~1,200 ms): " + waitedMillis
                                           + " ms");
            assertEquals(Pair.CALLER_TIMEOUT_MILLIS, pair.client.getSoTimeout(), "the caller's timeout is restored");
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
         * Waits until the monitor is in its read (it sets the socket's timeout to its step just before), so
         * that the answer written next is read by the monitor, as on a pooled connection, and not after a read that
         * cancelled the monitor before it started.
         */
        void awaitMonitorReading() throws Exception {
            long deadline = System.nanoTime() + 5_000_000_000L;
            int step = IdleInputStream.iterationMillis(CALLER_TIMEOUT_MILLIS, 0);
            while (client.getSoTimeout() != step && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(step, client.getSoTimeout(), "the idle monitor did not start reading");
            Thread.sleep(30);
        }

        /** Puts {@code in} in idle mode and, once its monitor is reading, sends the answer from the server's end. */
        void answerWhileMonitorReads(IdleInputStream in) throws Exception {
            in.idle();
            awaitMonitorReading();
            server.getOutputStream().write(ANSWER);
            server.getOutputStream().flush();
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
