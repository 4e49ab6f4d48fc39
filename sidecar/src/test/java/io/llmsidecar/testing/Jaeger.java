package io.llmsidecar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A real Jaeger v2 (an OpenTelemetry Collector build: OTLP/HTTP receiver, in-memory storage, query API), the pinned
 * {@code jaeger} that {@code scripts/setup.sh test} builds into {@code .tools/bin}, started with a configuration of
 * our own that binds every listener to a free loopback port (its default config listens on 0.0.0.0 and fixed ports).
 * A missing binary fails the test, never skips it.
 */
public final class Jaeger implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int otlpPort;
    private final int queryPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Jaeger(Process process, int otlpPort, int queryPort, Path log) {
        this.process = process;
        this.otlpPort = otlpPort;
        this.queryPort = queryPort;
        this.log = log;
    }

    public static Jaeger start() {
        Path binary = Project.root().resolve(".tools/bin/jaeger");
        if (!Files.isExecutable(binary)) {
            throw new AssertionError("This test needs Jaeger at " + binary + " (scripts/setup.sh test builds it)");
        }
        try {
            int otlp = Project.freePort();
            int query = Project.freePort();
            int grpc = Project.freePort();
            Path config = Files.createTempFile("jaeger", ".yaml");
            Files.writeString(config, """
                    service:
                      extensions: [jaeger_storage, jaeger_query]
                      pipelines:
                        traces:
                          receivers: [otlp]
                          exporters: [jaeger_storage_exporter]
                      telemetry:
                        metrics:
                          level: none
                        logs:
                          level: warn
                    extensions:
                      jaeger_storage:
                        backends:
                          memstore:
                            memory:
                              max_traces: 10000
                      jaeger_query:
                        storage:
                          traces: memstore
                        http:
                          endpoint: 127.0.0.1:%d
                        grpc:
                          endpoint: 127.0.0.1:%d
                    receivers:
                      otlp:
                        protocols:
                          http:
                            endpoint: 127.0.0.1:%d
                    exporters:
                      jaeger_storage_exporter:
                        trace_storage: memstore
                    """.formatted(query, grpc, otlp));
            config.toFile().deleteOnExit();
            Path log = Files.createTempFile("jaeger", ".log");
            Process p = new ProcessBuilder(List.of(binary.toString(), "--config", config.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Jaeger jaeger = new Jaeger(p, otlp, query, log);
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && p.isAlive()) {
                if (jaeger.listening()) {
                    return jaeger;
                }
                Thread.sleep(100);
            }
            p.destroyForcibly();
            throw new AssertionError("jaeger did not start within " + READY_TIMEOUT + "; its log: "
                                     + Files.readString(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean listening() {
        try {
            HttpResponse<String> services = get("/api/services");
            // The receiver must be up too: an OTLP POST without a body is answered, not refused.
            HttpResponse<String> otlp = http.send(HttpRequest.newBuilder(URI.create(otlpEndpoint() + "/v1/traces"))
                                                          .timeout(Duration.ofSeconds(2))
                                                          .header("Content-Type", "application/json")
                                                          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                                                  HttpResponse.BodyHandlers.ofString());
            return services.statusCode() == 200 && otlp.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The OTLP/HTTP base URL, what {@code OTEL_EXPORTER_OTLP_ENDPOINT} names. */
    public String otlpEndpoint() {
        return "http://127.0.0.1:" + otlpPort;
    }

    /**
     * Trace {@code traceId} as the query API returns it ({@code data[0]}: {@code spans}, {@code processes}), once
     * {@code complete} accepts it; fails after {@code timeout}.
     */
    public JsonNode awaitTrace(String traceId, Predicate<JsonNode> complete, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> res = get("/api/traces/" + traceId);
                if (res.statusCode() == 200) {
                    JsonNode data = JSON.readTree(res.body()).path("data");
                    if (data.size() == 1) {
                        last = data.get(0);
                        if (complete.test(last)) {
                            return last;
                        }
                    }
                }
                Thread.sleep(100);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("Jaeger has no complete trace " + traceId + " after " + timeout + "; last: " + last);
    }

    /** The raw query API, for what {@link #awaitTrace} does not cover. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + queryPort + path))
                                 .timeout(Duration.ofSeconds(5)).GET().build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
