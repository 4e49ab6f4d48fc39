package io.llmsidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real nginx (Debian's nginx-light, installed by {@code scripts/setup.sh test}) serving a directory on 127.0.0.1
 * as a bundle server: static files with nginx's own ETag and {@code If-None-Match} handling, and every request
 * without {@code Authorization: Bearer <token>} answered 401. Runs in the foreground as a single process, so it
 * needs no root and stops with the test.
 */
public final class Nginx implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path prefix;

    private Nginx(Process process, int port, Path prefix) {
        this.process = process;
        this.port = port;
        this.prefix = prefix;
    }

    /** Serves {@code root} to requests carrying {@code token}; fails the test when nginx is missing. */
    public static Nginx serve(Path root, String token) {
        Path binary = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx")).stream()
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("nginx is not installed: run scripts/setup.sh test"));
        try {
            Path prefix = Files.createTempDirectory("nginx");
            Files.createDirectories(prefix.resolve("logs"));
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            String conf = """
                    daemon off;
                    master_process off;
                    worker_processes 1;
                    pid %1$s/nginx.pid;
                    error_log %1$s/logs/error.log warn;
                    events { worker_connections 64; }
                    http {
                        access_log %1$s/logs/access.log;
                        client_body_temp_path %1$s/client_body;
                        proxy_temp_path %1$s/proxy;
                        fastcgi_temp_path %1$s/fastcgi;
                        uwsgi_temp_path %1$s/uwsgi;
                        scgi_temp_path %1$s/scgi;
                        types { application/gzip gz; }
                        server {
                            listen 127.0.0.1:%2$d;
                            root %3$s;
                            location / {
                                if ($http_authorization != "Bearer %4$s") { return 401; }
                            }
                        }
                    }
                    """.formatted(prefix, port, root.toAbsolutePath(), token);
            Path file = Files.writeString(prefix.resolve("nginx.conf"), conf);
            Process process = new ProcessBuilder(binary.toString(), "-p", prefix.toString(), "-c", file.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
                    .start();
            Nginx nginx = new Nginx(process, port, prefix);
            nginx.awaitListening();
            return nginx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** The access log: one line per request with its status, to see the 304s. */
    public List<String> accessLog() {
        try {
            Path log = prefix.resolve("logs/access.log");
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("nginx exited: " + Files.readString(prefix.resolve("logs/stdout.log"))
                     + (Files.exists(prefix.resolve("logs/error.log"))
                        ? Files.readString(prefix.resolve("logs/error.log")) : ""));
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        fail("nginx did not listen on " + port + " within 10 s");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
