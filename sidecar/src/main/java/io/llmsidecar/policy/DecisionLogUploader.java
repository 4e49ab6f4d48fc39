package io.llmsidecar.policy;

import io.llmsidecar.metrics.SidecarMetrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.GZIPOutputStream;

/**
 * Ships decision-log events to an OPA-compatible decision-log service: batches POSTed as gzip-compressed JSON
 * arrays with a bearer token read from a file, as OPA's own decision-log plugin does.
 *
 * <p>A request only appends its event to a bounded buffer (a lock held for a deque insertion, never for I/O), so a
 * slow or dead service cannot slow or fail it. When the buffer is full the oldest events make room and are counted
 * in {@code llm_sidecar_decision_log_dropped_total}. One thread uploads: every interval (with jitter, so a fleet of
 * sidecars does not upload in step), sooner when a batch is full, and after a failure again after an exponential
 * backoff with full jitter; the failed batch goes back to the head of the buffer.
 */
final class DecisionLogUploader implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DecisionLogUploader.class.getName());
    /** Uncompressed bytes per upload; OPA's collectors accept far more, and smaller batches retry cheaper. */
    static final int BATCH_BYTES = 4 << 20;
    static final int BATCH_EVENTS = 2_000;
    static final Duration MIN_BACKOFF = Duration.ofMillis(200);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(2);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLOSE_FLUSH = Duration.ofSeconds(5);

    private final URI url;
    private final Optional<Path> tokenFile;
    private final int maxEvents;
    private final long maxBytes;
    private final Duration interval;
    private final SidecarMetrics metrics;
    private final HttpClient client;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition batchReady = lock.newCondition();
    private final ArrayDeque<byte[]> buffer = new ArrayDeque<>();
    private long bufferedBytes;
    private volatile boolean closing;
    private final Thread thread;
    // Confined to the upload thread.
    private boolean failing;

    DecisionLogUploader(PolicyConfig.DecisionLogTarget.Service config, SidecarMetrics metrics) {
        this.url = config.url();
        this.tokenFile = config.tokenFile();
        this.maxEvents = config.bufferEvents();
        this.maxBytes = config.bufferBytes();
        this.interval = config.uploadInterval();
        this.metrics = metrics;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        this.thread = Thread.ofPlatform().name("decision-log-upload").daemon(true).start(this::run);
    }

    /** Buffers one event; never blocks on the network. */
    void offer(String event) {
        byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            metrics.decisionLogDropped("too_large", 1);
            return;
        }
        int dropped = 0;
        int size;
        lock.lock();
        try {
            while (!buffer.isEmpty() && (buffer.size() >= maxEvents || bufferedBytes + bytes.length > maxBytes)) {
                bufferedBytes -= buffer.removeFirst().length;
                dropped++;
            }
            buffer.addLast(bytes);
            bufferedBytes += bytes.length;
            size = buffer.size();
            if (size >= BATCH_EVENTS || bufferedBytes >= BATCH_BYTES) {
                batchReady.signal();
            }
        } finally {
            lock.unlock();
        }
        if (dropped > 0) {
            metrics.decisionLogDropped("buffer_full", dropped);
        }
        metrics.decisionLogBuffered(size);
    }

    int buffered() {
        lock.lock();
        try {
            return buffer.size();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        int failures = 0;
        while (!closing) {
            Duration wait = failures == 0 ? jittered(interval) : backoff(failures);
            if (!awaitBatch(wait, failures == 0)) {
                break;
            }
            List<byte[]> batch = take();
            if (batch.isEmpty()) {
                continue;
            }
            if (upload(batch, REQUEST_TIMEOUT)) {
                failures = 0;
            } else {
                failures++;
                putBack(batch);
            }
        }
    }

    /** Waits out {@code wait}, or less when a full batch is waiting (not while backing off); false when closing. */
    private boolean awaitBatch(Duration wait, boolean wakeOnBatch) {
        long nanos = wait.toNanos();
        lock.lock();
        try {
            while (nanos > 0 && !closing) {
                if (wakeOnBatch && (buffer.size() >= BATCH_EVENTS || bufferedBytes >= BATCH_BYTES)) {
                    return true;
                }
                nanos = batchReady.awaitNanos(nanos);
            }
            return !closing;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    private List<byte[]> take() {
        List<byte[]> batch = new ArrayList<>();
        lock.lock();
        try {
            long bytes = 0;
            while (!buffer.isEmpty() && batch.size() < BATCH_EVENTS
                   && (batch.isEmpty() || bytes + buffer.peekFirst().length <= BATCH_BYTES)) {
                byte[] event = buffer.removeFirst();
                bufferedBytes -= event.length;
                bytes += event.length;
                batch.add(event);
            }
            metrics.decisionLogBuffered(buffer.size());
        } finally {
            lock.unlock();
        }
        return batch;
    }

    /** Returns a failed batch to the head of the buffer, dropping its oldest events if newer ones filled the room. */
    private void putBack(List<byte[]> batch) {
        int dropped = 0;
        lock.lock();
        try {
            for (int i = batch.size() - 1; i >= 0; i--) {
                byte[] event = batch.get(i);
                if (buffer.size() >= maxEvents || bufferedBytes + event.length > maxBytes) {
                    dropped += i + 1;
                    break;
                }
                buffer.addFirst(event);
                bufferedBytes += event.length;
            }
            metrics.decisionLogBuffered(buffer.size());
        } finally {
            lock.unlock();
        }
        if (dropped > 0) {
            metrics.decisionLogDropped("buffer_full", dropped);
        }
    }

    private boolean upload(List<byte[]> batch, Duration timeout) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(gzipArray(batch)));
            Optional<String> token = token();
            token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
            HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 == 2) {
                metrics.decisionLogUpload("ok");
                if (failing) {
                    failing = false;
                    LOG.log(Level.INFO, "The decision-log service " + url + " accepts events again");
                }
                return true;
            }
            return failed("it answered HTTP " + response.statusCode());
        } catch (IOException e) {
            return failed(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean failed(String why) {
        metrics.decisionLogUpload("error");
        if (!failing) {
            failing = true;          // reported once per outage, not on every retry
            LOG.log(Level.WARNING, "Cannot upload decision-log events to " + url + " (" + why + "); retrying with "
                                   + "backoff, events are buffered and the oldest dropped when the buffer is full "
                                   + "(llm_sidecar_decision_log_dropped_total)");
        }
        return false;
    }

    /** Read for every upload, so a rotated Secret takes effect without a restart. */
    private Optional<String> token() throws IOException {
        if (tokenFile.isEmpty()) {
            return Optional.empty();
        }
        String token = Files.readString(tokenFile.get(), StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            throw new IOException("the token file " + tokenFile.get() + " is empty");
        }
        return Optional.of(token);
    }

    static byte[] gzipArray(List<byte[]> events) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes, 64 << 10)) {
            gzip.write('[');
            for (int i = 0; i < events.size(); i++) {
                if (i > 0) {
                    gzip.write(',');
                }
                gzip.write(events.get(i));
            }
            gzip.write(']');
        }
        return bytes.toByteArray();
    }

    /** Between half and all of {@code base}. */
    private static Duration jittered(Duration base) {
        long nanos = base.toNanos();
        return Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
    }

    /** Exponential from {@link #MIN_BACKOFF} up to {@link #MAX_BACKOFF}, with full jitter. */
    static Duration backoff(int failures) {
        long cap = Math.min(MAX_BACKOFF.toNanos(), MIN_BACKOFF.toNanos() << Math.min(failures - 1, 20));
        return Duration.ofNanos(MIN_BACKOFF.toNanos() / 2 + ThreadLocalRandom.current().nextLong(cap));
    }

    /** Stops the loop and makes one last attempt, bounded in time, to deliver what is buffered. */
    @Override
    public void close() {
        closing = true;
        lock.lock();
        try {
            batchReady.signalAll();
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + CLOSE_FLUSH.toNanos();
        try {
            thread.join(CLOSE_FLUSH);
            if (thread.isAlive()) {
                thread.interrupt();       // an upload to a stalled service; HttpClient.send gives up on interrupt
                thread.join(Duration.ofSeconds(1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        while (true) {
            long left = deadline - System.nanoTime();
            List<byte[]> batch = left > 0 ? take() : List.of();
            if (batch.isEmpty() || !upload(batch, Duration.ofNanos(left))) {
                return;
            }
        }
    }
}
