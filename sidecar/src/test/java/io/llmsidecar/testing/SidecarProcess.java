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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged sidecar ({@code sidecar/target/llm-sidecar.jar}, built by {@code make build} or Maven's package phase
 * before the *IT tests) as a separate process on free loopback ports, configured through {@code SIDECAR_*}
 * environment variables: for tests of what only a real process shows (signals, exit codes, crashes). Its output goes
 * to {@code target/test-logs/<name>.log}.
 */
public final class SidecarProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final int adminPort;
    private final Path log;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private SidecarProcess(Process process, int port, int adminPort, Path log) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.log = log;
    }

    /** Starts the jar with {@code env} (on top of ports, price refresh off) and waits until it is ready. */
    public static SidecarProcess start(String name, Map<String, String> env) {
        Path jar = Project.root().resolve("sidecar/target/llm-sidecar.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("No " + jar + ": run `make build` (or mvn package) first");
        }
        int port = Project.freePort();
        int adminPort = Project.freePort();
        Map<String, String> vars = new HashMap<>();
        vars.put("SIDECAR_PORT", Integer.toString(port));
        vars.put("SIDECAR_ADMIN_PORT", Integer.toString(adminPort));
        vars.put("SIDECAR_PRICING_REFRESH", "0");
        vars.putAll(env);
        try {
            Path logs = Project.root().resolve("sidecar/target/test-logs");
            Files.createDirectories(logs);
            Path log = logs.resolve(name + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(List.of(java, "-jar", jar.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("SIDECAR_"));
            builder.environment().putAll(vars);
            SidecarProcess sidecar = new SidecarProcess(builder.start(), port, adminPort, log);
            sidecar.awaitReady(Duration.ofSeconds(180));   // a loaded CI machine starts the JVM slowly
            return sidecar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the sidecar exited with " + process.exitValue() + " before it was ready:\n"
                                         + output());
            }
            if (readyStatus() == 200) {
                return;
            }
            sleep(Duration.ofMillis(100));
        }
        process.destroyForcibly();
        throw new AssertionError("the sidecar was not ready within " + timeout + ":\n" + output());
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public URI adminUrl(String path) {
        return URI.create("http://127.0.0.1:" + adminPort + path);
    }

    public HttpClient client() {
        return client;
    }

    /** The status of {@code /health/ready}, or -1 when the admin socket does not answer. */
    public int readyStatus() {
        try {
            return client.send(HttpRequest.newBuilder(adminUrl("/health/ready")).timeout(Duration.ofSeconds(5))
                                       .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Sends SIGTERM, as Kubernetes does when it stops a pod. */
    public void terminate() {
        process.destroy();
    }

    /** Sends SIGKILL. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Waits for the process to exit and returns its exit code; fails after {@code timeout}. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the sidecar did not exit within " + timeout + ":\n" + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return process.exitValue();
    }

    /** Everything the process printed so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
