package io.llmsidecar.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Relays a chat-completion event stream from the gateway to the app as it arrives: every complete event read is
 * written and flushed at once; only an incomplete trailing event waits for its remaining bytes (an app cannot use
 * half an event). Events are written from the read buffer itself, consecutive ones in a single write. The stream's
 * last events, once the gateway's body has ended behind them, are written but not flushed: the caller closes the
 * response next, and the close sends them and the body's end in one write.
 *
 * <p>The usage-only chunk the sidecar asked for on the app's behalf is dropped when the app did not ask for it, so
 * the app sees exactly the stream it requested.
 */
final class SseRelay {
    /** Grows as events need; most bursts are a few KB (see {@code ReadAhead}'s sizes for why it starts small). */
    private static final int INITIAL_BUFFER = 4 * 1024;

    /** How a relayed stream ended. */
    enum End {
        /** The gateway finished the stream. */
        COMPLETE,
        /** The app went away; the upstream call was cancelled. */
        CLIENT_GONE,
        /**
         * Reading from the gateway failed or timed out mid-stream, or the gateway closed the connection before the
         * stream's final event ({@code [DONE]}, the usage chunk, {@code response.completed}).
         */
        UPSTREAM_FAILED,
        /**
         * The stream reached what its budget reservation covers: the sidecar ended it for the app (finish_reason
         * "length") and the upstream call was cancelled.
         */
        LIMIT_REACHED,
        /** The sidecar's drain reached its deadline and ended the stream (an error event tells the app). */
        SHUTTING_DOWN
    }

    private SseRelay() {
    }

    /**
     * Relays until the gateway ends the stream, the app disconnects or the gateway fails.
     *
     * @param forwardUsageChunk whether the app asked for the usage-only chunk itself
     */
    static End relay(InputStream upstream, OutputStream app, StreamInspector inspector, boolean forwardUsageChunk) {
        byte[] buf = new byte[INITIAL_BUFFER];
        int start = 0;
        int end = 0;
        int scan = 0;
        while (true) {
            // Room for at least what has already arrived (a read ahead knows), so that a burst is read, and
            // written, at once.
            int room = Math.max(1, waiting(upstream));
            if (buf.length - end < room) {
                if (start > 0) {
                    System.arraycopy(buf, start, buf, 0, end - start);
                    end -= start;
                    scan -= start;
                    start = 0;
                }
                if (buf.length - end < room) {
                    buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + room));
                }
            }
            int n;
            try {
                n = upstream.read(buf, end, buf.length - end);
            } catch (IOException | UncheckedIOException e) {
                return End.UPSTREAM_FAILED;
            } catch (RuntimeException e) {
                // The web client reports the close that ends a body without length or chunking (legal HTTP/1.1) as
                // its own unchecked exception. Read as the end of input: whether the stream reached its final event
                // decides below whether it finished or broke off.
                n = -1;
            }
            if (n < 0) {
                if (end > start) {
                    inspector.inspect(buf, start, end);
                    if (!inspector.finished()) {
                        // Half an event the app could not use, and the stream is broken anyway: not relayed, so
                        // the error event that follows is read on its own.
                        return End.UPSTREAM_FAILED;
                    }
                    // The gateway closed without a final blank line after its last event: pass it on as it is.
                    if (!write(app, buf, start, end - start) || !flush(app)) {
                        return End.CLIENT_GONE;
                    }
                }
                // A connection closed before the stream's final event is a broken stream, not a finished one.
                return inspector.finished() ? End.COMPLETE : End.UPSTREAM_FAILED;
            }
            end += n;
            int pendingFrom = start;
            int boundary;
            while ((boundary = eventEnd(buf, Math.max(scan, start), end)) >= 0) {
                StreamInspector.Verdict verdict = inspector.inspect(buf, start, boundary);
                if (verdict == StreamInspector.Verdict.OVER_LIMIT) {
                    // The event that crosses the limit is not relayed; the app gets a clean ending instead.
                    byte[] ending = inspector.cutOffEnding();
                    if (start > pendingFrom && !write(app, buf, pendingFrom, start - pendingFrom)
                        || !write(app, ending, 0, ending.length) || !flush(app)) {
                        return End.CLIENT_GONE;
                    }
                    return End.LIMIT_REACHED;
                }
                if (verdict == StreamInspector.Verdict.USAGE_ONLY && !forwardUsageChunk) {
                    // Cut out of the buffer rather than written around, so that the events before and after it
                    // still leave in one write.
                    System.arraycopy(buf, boundary, buf, start, end - boundary);
                    end -= boundary - start;
                    scan = start;
                    continue;
                }
                start = boundary;
                scan = boundary;
            }
            scan = Math.max(scan, end - 3);
            if (start > pendingFrom) {
                if (!write(app, buf, pendingFrom, start - pendingFrom)) {
                    return End.CLIENT_GONE;
                }
                // Not flushed when these are the stream's last events and the gateway's body has ended behind them:
                // the response is closed next, and its close sends them with the body's end in one write.
                if (!(inspector.finished() && endedBehind(upstream)) && !flush(app)) {
                    return End.CLIENT_GONE;
                }
            }
            if (start == end) {
                start = 0;
                end = 0;
                scan = 0;
            }
        }
    }

    /** Whether the gateway's body is known to have ended with nothing left to read (only a read-ahead knows). */
    private static boolean endedBehind(InputStream upstream) {
        return upstream instanceof ReadAhead ahead && ahead.ended();
    }

    private static int waiting(InputStream upstream) {
        try {
            return upstream.available();
        } catch (IOException e) {
            return 0;       // the read that follows reports it
        }
    }

    /** The index just past the blank line ending the event that starts at or before {@code from}, or -1. */
    static int eventEnd(byte[] buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                if (i + 1 < to && buf[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < to && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                    return i + 3;
                }
            } else if (buf[i] == '\r' && i + 1 < to && buf[i + 1] == '\r') {
                return i + 2;
            }
        }
        return -1;
    }

    /**
     * A drain ends a stream by interrupting its relay thread (lifecycle.InFlight). On a virtual thread, socket I/O
     * started with the interrupt set closes that socket: the app's, if the next I/O is a write. So a pending interrupt
     * stops the relay before it touches the app's socket; the caller then writes the error event on a clear flag.
     */
    private static boolean interrupted() {
        return Thread.currentThread().isInterrupted();
    }

    private static boolean write(OutputStream app, byte[] buf, int off, int len) {
        if (interrupted()) {
            return false;
        }
        try {
            app.write(buf, off, len);
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        } catch (RuntimeException e) {
            // Helidon reports a closed client connection as its own unchecked exception type.
            return false;
        }
    }

    private static boolean flush(OutputStream app) {
        if (interrupted()) {
            return false;
        }
        try {
            app.flush();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
