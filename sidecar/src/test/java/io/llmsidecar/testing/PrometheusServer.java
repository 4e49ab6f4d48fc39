package io.llmsidecar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's {@code prometheus} package, installed by {@code scripts/setup.sh test}) scraping one
 * target every second, on a free loopback port with a throw-away data directory. Fails, never skips, when the
 * binary is missing.
 */
public final class PrometheusServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private PrometheusServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts Prometheus scraping {@code http://127.0.0.1:<targetPort>/metrics} as job {@code llm-sidecar}. */
    public static PrometheusServer scraping(int targetPort) throws IOException, InterruptedException {
        Path binary = find("prometheus");
        Path dir = Files.createTempDirectory("prometheus");
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: llm-sidecar
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                        labels: {namespace: test, pod: sidecar-0}
                """.formatted(targetPort));
        int port = Project.freePort();
        Process process = new ProcessBuilder(binary.toString(),
                                             "--config.file=" + dir.resolve("prometheus.yml"),
                                             "--storage.tsdb.path=" + dir.resolve("data"),
                                             "--web.listen-address=127.0.0.1:" + port,
                                             "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, dir, port);
        server.awaitReady(Duration.ofSeconds(30));
        return server;
    }

    /** Runs an instant query; returns the {@code data} node of a successful answer, fails otherwise. */
    public JsonNode query(String promql) {
        URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                             + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
                                                      HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(response.body());
            if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
                throw new AssertionError("Prometheus rejected " + promql + ": " + response.body());
            }
            return body.get("data");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code promql} returns at least one series. */
    public void awaitSeries(String promql, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!query(promql).path("result").isEmpty()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no series for " + promql + " within " + timeout + "; log: " + log());
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Finds a Prometheus tool binary on PATH or in Debian's location. */
    public static Path find(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(name + " is not installed; run scripts/setup.sh test (Debian package 'prometheus')");
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI ready = URI.create("http://127.0.0.1:" + port + "/-/ready");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited: " + log());
            }
            try {
                if (http.send(HttpRequest.newBuilder(ready).GET().build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("prometheus not ready within " + timeout + ": " + log());
    }


    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
