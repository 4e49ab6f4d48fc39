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
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
 * <p>Second, the monitor's timed reads last {@link #IDLE_ITERATION_MILLIS} (at most an eighth of the socket's own
 * read timeout, and not less than Helidon's 101 ms) instead of 101 ms. Why: each step that times out wakes the
 * monitor's thread, builds a {@code SocketTimeoutException} and parks it again, about 57 µs of CPU, ten times a
 * second for every pooled connection until the socket's read timeout (the sidecar's: 300 s) closes it; the pool
 * hands its connections out in turn, so after a burst each of them idles between two uses. Idle after a burst of 16
 * connections, a sidecar spent 11 ms of CPU a second (2 before the burst; 2–3 with these steps, as an idle Envoy),
 * and at a request every 200 ms 4.0× Envoy's CPU per request (1.1–1.4× with them). What a step bounds is
 * unchanged: a close or a reset by the gateway, and an answer, end the monitor's read at once whatever its timeout.
 * Only a caller that reads while the monitor waits for nothing waits for the rest of the step before its own timed
 * read, so a gateway that never answers is timed out up to a step (an eighth of the read timeout) late; and a client
 * sending {@code Expect: 100-continue}, which the sidecar's does not, would wait up to a step for the interim
 * answer (the reason Helidon's steps are short).
 */
class IdleInputStream extends InputStream {
    // LLM Policy Sidecar: the size of the client's own socket reads (PlainSocket's buffer)
    static final int IDLE_READ = 8 * 1024;

    /**
     * This needs to cooperate with 100-continue timeout.
     * Some low number is needed here for a quick iterations.
     * Using these small iterations allows us to cancel the idle check much faster,
     * without the need to wait for a full socket read timeout.
     */
    private static final int ITERATION_TIME_MILLIS = 101;
    // LLM Policy Sidecar: the monitor's step (see the class comment); odd, as Helidon's 101 ms, so that the check
    // before restoring the caller's timeout does not take a caller's round timeout for the monitor's own
    static final int IDLE_ITERATION_MILLIS = 5_101;

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
    private volatile boolean cancelled = false;
    private Future<?> idlingThread;

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
        if (idlingThread != null) {
            endIdle();
        }
        if (idleFrom < idleTo) {        // LLM Policy Sidecar: what the monitor read first
            return idleRead[idleFrom++] & 0xFF;
        }
        return upstream.read();
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
        return upstream.read(b, off, len);
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
            // LLM Policy Sidecar: longer steps (see the class comment); idle as long as the read timeout (with no read
            // timeout: one step), the connection is closed, as Helidon's loop did by counting its steps
            long idledMillis = 0;
            int stepSet = 0;
            while (!cancelled) {
                try {
                    //We need to check the current socket timeout before each iteration.
                    //This time out could have changed,
                    //and now it would represent the new timeout we should restore after this method ends.
                    int currentSoTimeout = socket.getSoTimeout();
                    if (currentSoTimeout != stepSet) {
                        toRestore = currentSoTimeout;
                    }
                    //Set iteration read timeout
                    stepSet = iterationMillis(toRestore, idledMillis);
                    socket.setSoTimeout(stepSet);
                    // LLM Policy Sidecar: everything that has arrived, not one byte
                    if (idleRead == null) {
                        idleRead = new byte[IDLE_READ];
                    }
                    int n = upstream.read(idleRead, 0, IDLE_READ);
                    if (n <= 0) {
                        closed = true;
                        return;
                    }
                    idleFrom = 0;
                    idleTo = n;
                    break;
                } catch (SocketTimeoutException e) {
                    idledMillis += stepSet;
                    if (idledMillis >= Math.max(1, toRestore)) {
                        throw e;
                    }
                }
            }
            //Idle checking thread was canceled or detected as not idle. Restore socket timeout it should have.
            if (stepSet != 0 && socket.getSoTimeout() == stepSet) {
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

    // LLM Policy Sidecar: the next step's timeout: IDLE_ITERATION_MILLIS, at most an eighth of the caller's read
    // timeout (never under Helidon's 101 ms) and never past that timeout; with no read timeout, Helidon's step
    static int iterationMillis(int readTimeoutMillis, long idledMillis) {
        if (readTimeoutMillis <= 0) {
            return ITERATION_TIME_MILLIS;
        }
        int capped = Math.min(IDLE_ITERATION_MILLIS, Math.max(ITERATION_TIME_MILLIS, readTimeoutMillis / 8));
        return (int) Math.max(1, Math.min(capped, readTimeoutMillis - idledMillis));
    }

    private void endIdle() {
        try {
            cancelled = true;
            idlingThread.get();
            idlingThread = null;
            cancelled = false;
        } catch (InterruptedException | ExecutionException e) {
            closed = true;
            throw new RuntimeException("Exception in socket monitor thread.", e);
        }
    }
}
