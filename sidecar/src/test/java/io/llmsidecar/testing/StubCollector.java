package io.llmsidecar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;

/**
 * An OPA-compatible decision-log service on 127.0.0.1: takes {@code POST /logs} of gzip JSON arrays, checks the
 * bearer token, and keeps every event it accepted. It can be told to stall (hold each request until released) or to
 * fail the next uploads, to show that neither reaches the requests whose decisions are logged.
 */
public final class StubCollector implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One upload as received. */
    public record Upload(String authorization, String contentEncoding, String contentType, int status,
                         List<JsonNode> events) {
    }

    private final HttpServer server;
    private final String token;
    private final List<Upload> uploads = new CopyOnWriteArrayList<>();
    private final List<JsonNode> accepted = new CopyOnWriteArrayList<>();
    private final AtomicReference<CountDownLatch> stall = new AtomicReference<>();
    private final AtomicInteger failNext = new AtomicInteger();

    private StubCollector(HttpServer server, String token) {
        this.server = server;
        this.token = token;
    }

    public static StubCollector start(String token) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            StubCollector collector = new StubCollector(server, token);
            server.createContext("/logs", exchange -> {
                try (exchange) {
                    CountDownLatch gate = collector.stall.get();
                    if (gate != null) {
                        gate.await(60, TimeUnit.SECONDS);
                    }
                    byte[] body;
                    try (InputStream in = exchange.getRequestBody()) {
                        body = in.readAllBytes();
                    }
                    String auth = exchange.getRequestHeaders().getFirst("Authorization");
                    String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
                    int status;
                    List<JsonNode> events = List.of();
                    if (!("Bearer " + token).equals(auth)) {
                        status = 401;
                    } else if (collector.failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        status = 503;
                    } else {
                        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                            JsonNode array = JSON.readTree(in);
                            events = new java.util.ArrayList<>();
                            for (JsonNode e : array) {
                                events.add(e);
                            }
                            status = 204;
                        } catch (IOException e) {
                            status = 400;
                        }
                    }
                    collector.uploads.add(new Upload(auth, encoding,
                                                     exchange.getRequestHeaders().getFirst("Content-Type"), status,
                                                     events));
                    if (status == 204) {
                        collector.accepted.addAll(events);
                    }
                    exchange.sendResponseHeaders(status, -1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return collector;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/logs");
    }

    /** Holds every request from now on until {@link #release()}. */
    public void stall() {
        stall.set(new CountDownLatch(1));
    }

    public void release() {
        CountDownLatch gate = stall.getAndSet(null);
        if (gate != null) {
            gate.countDown();
        }
    }

    /** Answers the next {@code n} authorised uploads with 503. */
    public void failNext(int n) {
        failNext.set(n);
    }

    public List<Upload> uploads() {
        return List.copyOf(uploads);
    }

    /** Every event of every accepted upload, in arrival order. */
    public List<JsonNode> events() {
        return List.copyOf(accepted);
    }

    public List<JsonNode> events(String path) {
        return accepted.stream().filter(e -> e.path("path").asText().equals(path)).toList();
    }

    /** Waits until {@code count} events have been accepted. */
    public List<JsonNode> awaitEvents(int count, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (accepted.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (accepted.size() < count) {
            throw new AssertionError("the collector accepted " + accepted.size() + " events, expected " + count);
        }
        return events();
    }

    @Override
    public void close() {
        release();
        server.stop(0);
    }
}
