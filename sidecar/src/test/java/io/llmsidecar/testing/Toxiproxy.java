package io.llmsidecar.testing;

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

/**
 * A real fault-injecting TCP proxy between a test's client and server: Shopify's Toxiproxy, the pinned
 * {@code toxiproxy-server} that {@code scripts/setup.sh test} builds into {@code .tools/bin}, started on a free
 * loopback port and driven over its HTTP API. A missing binary fails the test, never skips it.
 */
public final class Toxiproxy implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final int apiPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Toxiproxy(Process process, int apiPort, Path log) {
        this.process = process;
        this.apiPort = apiPort;
        this.log = log;
    }

    public static Toxiproxy start() {
        Path binary = Project.root().resolve(".tools/bin/toxiproxy-server");
        if (!Files.isExecutable(binary)) {
            throw new AssertionError("This test needs Toxiproxy at " + binary + " (scripts/setup.sh test builds it)");
        }
        try {
            int port = Project.freePort();
            Path log = Files.createTempFile("toxiproxy", ".log");
            Process p = new ProcessBuilder(List.of(binary.toString(), "-host", "127.0.0.1", "-port",
                                                   Integer.toString(port)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Toxiproxy toxiproxy = new Toxiproxy(p, port, log);
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && p.isAlive()) {
                try {
                    if (toxiproxy.call("GET", "/version", null).statusCode() == 200) {
                        return toxiproxy;
                    }
                } catch (UncheckedIOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
            p.destroy();
            throw new AssertionError("toxiproxy-server did not start; see " + log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A proxy listening on a free loopback port in front of {@code host:port}; returns that port. */
    public int proxy(String name, String host, int port) {
        int listen = Project.freePort();
        expect(201, call("POST", "/proxies", "{\"name\":\"" + name + "\",\"listen\":\"127.0.0.1:" + listen
                                             + "\",\"upstream\":\"" + host + ":" + port + "\",\"enabled\":true}"));
        return listen;
    }

    /**
     * Adds a toxic to every connection of proxy {@code name}, present and future.
     *
     * @param stream     {@code upstream} (client to server) or {@code downstream} (server to client)
     * @param attributes the toxic's attributes as a JSON object, e.g. {@code {"latency":1500}}
     */
    public void addToxic(String name, String toxic, String type, String stream, String attributes) {
        expect(200, call("POST", "/proxies/" + name + "/toxics",
                         "{\"name\":\"" + toxic + "\",\"type\":\"" + type + "\",\"stream\":\"" + stream
                         + "\",\"toxicity\":1.0,\"attributes\":" + attributes + "}"));
    }

    public void removeToxic(String name, String toxic) {
        expect(204, call("DELETE", "/proxies/" + name + "/toxics/" + toxic, null));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor();
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // A log left in the temporary directory is not worth failing a test for.
        }
    }

    private void expect(int status, HttpResponse<String> response) {
        if (response.statusCode() != status) {
            throw new AssertionError("Toxiproxy answered " + response.statusCode() + ": " + response.body());
        }
    }

    private HttpResponse<String> call(String method, String path, String json) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
