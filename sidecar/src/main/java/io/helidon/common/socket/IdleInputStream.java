/*
 * Copyright (c) 2023, 2025 Oracle and/or its affiliates.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

package io.helidon.common.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.helidon.common.LazyValue;

/**
 * InputStream capable of cheap continuous reading of single byte from inactive socket input stream
 * in order to detect blocking socket disconnection.
 * Needs to be switched to idle monitoring mode typically when client connection is cached.
 * <p>
 * Returns automatically to standard mode when read method is executed.
 *
 * <p><b>Modified by LLM Policy Sidecar</b> (Apache License 2.0, section 4(b)): a copy of Helidon 4.4.0's
 * {@code common/socket/src/main/java/io/helidon/common/socket/IdleInputStream.java} (tag 4.4.0, revision
 * 4e4bb38c5d1be40d9c43fc342c51091c7f790fef) with two changes, marked "LLM Policy Sidecar". The sidecar's jar comes
 * before Helidon's on the class path, so this class replaces Helidon's. {@code IdleInputStreamCopyTest} fails when
 * Helidon's version changes, so the copy is redone (or dropped) with every upgrade.
 *
 * <p>First, the idle monitor reads whatever has arrived (up to {@link #IDLE_READ} bytes) instead of a single byte,
 * and the next reads are served from it (the buffer replaces Helidon's one-byte field {@code next}). Why: a pooled
 * connection's monitor is the thread that is waiting on the socket when the next answer comes, so its read is the
 * answer's first read. Helidon's read one byte, and the caller's read that followed handed that one byte on alone, so
 * every answer on a reused connection took two read system calls where one does (and the client's reader kept a node
 * for the one byte): docs/BENCHMARKS.md, issue 19.
 *
 * <p>Second, reads by virtual threads are not timed by the socket: the socket's read timeout is enforced by
 * {@link ReadDeadlines}, which interrupts a read still waiting at its deadline (closing the socket, as a timed-out
 * connection is closed), and the read then throws the {@code SocketTimeoutException} the socket would have. The idle
 * monitor makes one such read, watched until the read timeout, in place of Helidon's 101 ms timed steps; a caller that
 * takes the connection over moves the monitor's deadline to its own timeout. Why: a virtual thread's timed read that
 * has to wait schedules and cancels a task on the JDK's delay scheduler, waking its thread twice; that was 7.5% of a
 * pass-through stream's CPU (docs/BENCHMARKS.md, issue 19, item 30). Before that, the steps were made long (item
 * 28): each step that timed out cost about 57 µs, ten times a second for every pooled connection. A timeout now
 * fires up to {@link ReadDeadlines#SWEEP_MILLIS} late, and closes the connection. The socket's own timeout stays for
 * a platform thread's read (an interrupt does not end it) and for a timeout shorter than
 * {@link ReadDeadlines#WATCHED_FROM_MILLIS} (such as the wait for a {@code 100 Continue}, after which Helidon goes on
 * using the connection); with no read timeout set, a read waits untimed, the monitor's too (Helidon's monitor closed
 * such a connection after one 101 ms step).
 */
class IdleInputStream extends InputStream {
    // LLM Policy Sidecar: the size of the client's own socket reads (PlainSocket's buffer)
    static final int IDLE_READ = 8 * 1024;

    // LLM Policy Sidecar: no ITERATION_TIME_MILLIS: the monitor reads untimed, watched by ReadDeadlines
    private static final ReadDeadlines DEADLINES = ReadDeadlines.shared();

    private final Socket socket;
    private final InputStream upstream;
    private final LazyValue<ExecutorService> executor;
    // LLM Policy Sidecar: what the monitor read, served before the socket, in place of Helidon's one byte
    // (`volatile int next`); written by the monitor before its task completes, read by the caller after endIdle()
    // waited for it
    private byte[] idleRead;
    private int idleFrom;
    private int idleTo;
    private volatile boolean closed = false;
    // LLM Policy Sidecar: the monitor's watched read (null before it starts) and the timeout it watches it for
    private volatile ReadDeadlines.Watch idleWatch;
    private volatile int idleTimeout;
    private Future<?> idlingThread;
    private final byte[] oneByte = new byte[1];     // LLM Policy Sidecar: read()'s buffer

    IdleInputStream(Socket socket, InputStream upstream, String childSocketId, String socketId) {
        this.socket = socket;
        this.upstream = upstream;
        this.executor = LazyValue.create(() -> Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual()
                        .name("helidon-socket-monitor-" + childSocketId + "-" + socketId, 0)
                        .factory())
        );
    }

    @Override
    public int read() throws IOException {
        // LLM Policy Sidecar: one byte through the array read, which serves the monitor's bytes first and has the
        // socket's timeout enforced by ReadDeadlines (one reader at a time, as for the rest of this stream)
        int n = read(oneByte, 0, 1);
        return n < 0 ? -1 : oneByte[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (idlingThread != null) {
            endIdle();
        }
        if (idleFrom < idleTo) {        // LLM Policy Sidecar: all the monitor read, as far as it fits
            Objects.checkFromIndexSize(off, len, b.length);
            int n = Math.min(len, idleTo - idleFrom);
            System.arraycopy(idleRead, idleFrom, b, off, n);
            idleFrom += n;
            return n;
        }
        // LLM Policy Sidecar: the socket's timeout enforced by ReadDeadlines (see the class comment)
        int timeout = watchedTimeout();
        if (timeout == 0) {
            return upstream.read(b, off, len);
        }
        ReadDeadlines.Watch watch = watch(timeout);
        int n;
        try {
            n = upstream.read(b, off, len);
        } catch (IOException e) {
            throw failedRead(watch, timeout, e);
        }
        returnedRead(watch, timeout, n);
        return n;
    }

    // LLM Policy Sidecar: the read timeout ReadDeadlines is to enforce for this read, or 0 when the socket's own
    // timeout applies: on a platform thread (an interrupt does not take it out of a socket read), and for a timeout
    // shorter than ReadDeadlines.WATCHED_FROM_MILLIS or none
    private int watchedTimeout() throws SocketException {
        if (!Thread.currentThread().isVirtual()) {
            return 0;
        }
        int timeout = socket.getSoTimeout();
        return timeout >= ReadDeadlines.WATCHED_FROM_MILLIS ? timeout : 0;
    }

    private ReadDeadlines.Watch watch(int timeoutMillis) throws SocketException {
        socket.setSoTimeout(0);
        return DEADLINES.watch(timeoutMillis);
    }

    /** A read that threw: the exception to throw, a timeout if its deadline fired. */
    private IOException failedRead(ReadDeadlines.Watch watch, int timeoutMillis, IOException failure) {
        if (DEADLINES.end(watch)) {
            closed = true;
            return timedOut(failure);
        }
        restore(timeoutMillis);
        return failure;
    }

    /** A read that returned: its bytes are good unless the deadline's interrupt ended it with the end of input. */
    private void returnedRead(ReadDeadlines.Watch watch, int timeoutMillis, int read) throws IOException {
        if (DEADLINES.end(watch) && read < 0) {
            closed = true;
            throw timedOut(null);
        }
        restore(timeoutMillis);
    }

    private void restore(int timeoutMillis) {
        try {
            if (!socket.isClosed()) {
                socket.setSoTimeout(timeoutMillis);
            }
        } catch (SocketException e) {
            // closed meanwhile: nothing left to time
        }
    }

    private static SocketTimeoutException timedOut(IOException cause) {
        SocketTimeoutException timeout = new SocketTimeoutException("Read timed out");
        timeout.initCause(cause);
        return timeout;
    }

    @Override
    public void close() throws IOException {
        upstream.close();
        closed = true;
        if (idlingThread != null) {
            idlingThread.cancel(true);
        }
    }

    /**
     * Enable idle mode, connection is expected to be idle,
     * single byte will be read asynchronously
     * in blocking manner to detect severed connection.
     */
    void idle() {
        if (idlingThread != null) {
            return;
        }
        idlingThread = executor.get().submit(this::handle);
    }

    boolean isClosed() {
        return closed;
    }

    private void handle() {
        try {
            //Currently configured socket read timeout. This is intended to be restored after this method finishes.
            int toRestore = socket.getSoTimeout();
            // LLM Policy Sidecar: one untimed read, watched until the read timeout (see the class comment), in place
            // of Helidon's timed steps; idle as long as the read timeout, the connection is closed, as Helidon's loop
            // did; a caller that reads meanwhile moves the deadline to its own timeout (endIdle). A timeout too short
            // to watch bounds one timed read of the socket's own, after which the connection is closed likewise
            ReadDeadlines.Watch watch = null;
            boolean watched = toRestore >= ReadDeadlines.WATCHED_FROM_MILLIS;
            if (watched) {
                socket.setSoTimeout(0);
                idleTimeout = toRestore;
                watch = DEADLINES.watch(toRestore);
                idleWatch = watch;
            }
            // LLM Policy Sidecar: everything that has arrived, not one byte
            if (idleRead == null) {
                idleRead = new byte[IDLE_READ];
            }
            int n;
            try {
                n = upstream.read(idleRead, 0, IDLE_READ);
            } catch (IOException e) {
                throw watch != null && DEADLINES.end(watch) ? timedOut(e) : e;
            }
            if (watch != null && DEADLINES.end(watch) && n < 0) {
                throw timedOut(null);
            }
            if (n <= 0) {
                closed = true;
                return;
            }
            idleFrom = 0;
            idleTo = n;
            //Idle checking thread was canceled or detected as not idle. Restore socket timeout it should have.
            if (watched && socket.getSoTimeout() == 0) {
                //To prevent any incorrect socket timeout restoration. Assume the following scenario:
                //1. IdleInputStream saves timeout to restore -> example 30s
                //2. IdleInputStream tries to read()
                //3. External socket timeout happens -> set to 2s
                //4. IdleInputStream checking is canceled
                //5. IdleInputStream restores incorrect 30s timeout
                socket.setSoTimeout(toRestore);
            }
        } catch (IOException e) {
            closed = true;
            throw new UncheckedIOException(e);
        }
    }

    private void endIdle() throws IOException {
        // LLM Policy Sidecar: the monitor's read is the caller's now, due within the caller's timeout (set on the
        // socket per request; Helidon's monitor instead stopped at its next 101 ms step, and the caller read with
        // its own timeout); no cancelled flag. A timeout too short to watch (the wait for a 100 Continue) ends this
        // wait alone and leaves the monitor reading for the next read, as a timed read leaves the connection open.
        ReadDeadlines.Watch watch = idleWatch;
        int timeout = socket.getSoTimeout();
        try {
            if (watch != null && timeout > 0 && timeout < ReadDeadlines.WATCHED_FROM_MILLIS) {
                try {
                    idlingThread.get(timeout, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new SocketTimeoutException("Read timed out");
                }
            } else {
                if (watch != null) {
                    watch.extend(timeout > 0 ? timeout : idleTimeout);
                }
                idlingThread.get();
            }
            idlingThread = null;
            idleWatch = null;
        } catch (InterruptedException | ExecutionException e) {
            closed = true;
            // LLM Policy Sidecar: the caller's read timed out, as its own timed read threw in Helidon's version
            if (watch != null && e.getCause() instanceof UncheckedIOException unchecked
                && unchecked.getCause() instanceof SocketTimeoutException timedOut) {
                throw timedOut;
            }
            throw new RuntimeException("Exception in socket monitor thread.", e);
        }
    }
}
