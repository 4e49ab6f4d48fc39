package io.llmsidecar.testing;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.ArrayList;

/**
 * A real Redis for tests, in this order: {@code REDIS_URL} when set; a {@code redis:7} container when a Docker engine
 * is reachable; else the local {@code redis-server} (Debian's package, which {@code scripts/setup.sh test} installs)
 * on a free port with a temporary directory. Tests that need Redis fail, never skip, when none can be had.
 *
 * <p>{@link #startOwn()} never uses {@code REDIS_URL}: tests that stop and restart Redis need one of their own.
 */
public final class RedisServer implements AutoCloseable {
    private static final String LOCAL_BINARY = "/usr/bin/redis-server";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);

    private final String host;
    private final int port;
    private final Path dir;
    private final GenericContainer<?> container;
    private Process running;
    private String externalUri;

    private RedisServer(String host, int port, Path dir, GenericContainer<?> container) {
        this.host = host;
        this.port = port;
        this.dir = dir;
        this.container = container;
    }

    /** A Redis to use, shared with nothing else in this JVM; {@code REDIS_URL} if set. */
    public static RedisServer start() {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            URI uri = URI.create(url.strip());
            RedisServer external = new RedisServer(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(), null,
                                                   null);
            external.externalUri = url.strip();
            return external;
        }
        return startOwn();
    }

    /** A Redis this test controls ({@link #stop()}, {@link #restart()}): a container or a local process. */
    public static RedisServer startOwn() {
        if (dockerAvailable()) {
            GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse("redis:7"))
                    .withExposedPorts(6379)
                    .withCommand("redis-server", "--appendonly", "yes");
            c.start();
            return new RedisServer(c.getHost(), c.getMappedPort(6379), null, c);
        }
        if (!Files.isExecutable(Path.of(LOCAL_BINARY))) {
            throw new AssertionError("These tests need Redis: set REDIS_URL, make a Docker engine available, or "
                                     + "install redis-server (scripts/setup.sh test does).");
        }
        try {
            Path dir = Files.createTempDirectory("llm-sidecar-redis");
            int port = Project.freePort();
            RedisServer server = new RedisServer("127.0.0.1", port, dir, null);
            server.running = server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code redis://host:port}. */
    public String uri() {
        return externalUri != null ? externalUri : "redis://" + host + ":" + port;
    }

    public int port() {
        return port;
    }

    public String host() {
        return host;
    }

    /** Stops Redis (a clean SHUTDOWN writes its append-only file); a paused container for Testcontainers. */
    public void stop() {
        if (container != null) {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
            return;
        }
        requireOwn();
        command("SHUTDOWN");
        try {
            running.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts Redis again on the same port with the same data. */
    public void restart() {
        if (container != null) {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
            return;
        }
        requireOwn();
        running = launch();
    }

    /**
     * Freezes Redis without closing anything, as a hung server or a stalled network does: {@code kill -STOP} of the
     * local process, a paused container for Testcontainers. Connections stay open and commands queue up unanswered.
     */
    public void pause() {
        if (container != null) {
            container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
            return;
        }
        requireOwn();
        signal(running.pid(), "STOP");
    }

    /** Lets a {@link #pause()}d Redis run again: it then executes every command that queued up meanwhile. */
    public void resume() {
        if (container != null) {
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
            return;
        }
        requireOwn();
        signal(running.pid(), "CONT");
    }

    /** Sends {@code kill -<name>} to a process of ours. */
    public static void signal(long pid, String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + name + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends one command (inline protocol) and returns the raw reply, e.g. {@code +PONG}. */
    public String command(String inline) {
        return command(host, port, inline);
    }

    /** The bulk strings of a raw RESP reply (an array of them, or one); none for nil or an error. */
    public static List<String> bulkStrings(String resp) {
        List<String> values = new ArrayList<>();
        String[] lines = resp.split("\r\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("$") && !lines[i].equals("$-1") && i + 1 < lines.length) {
                values.add(lines[++i]);
            }
        }
        return values;
    }

    /** Sends one command (inline protocol) to {@code host:port}; the raw reply, or "" when there is none. */
    public static String command(String host, int port, String inline) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[65536];
            int n = in.read(buf);
            return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (container != null) {
            container.stop();
            return;
        }
        if (dir == null) {
            return;
        }
        if (running != null && running.isAlive()) {
            // A server a failed test left frozen acts on SIGTERM only once it runs again.
            signal(running.pid(), "CONT");
            running.destroy();
            try {
                running.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is not worth failing a test for.
        }
    }

    private Process launch() {
        try {
            Process p = new ProcessBuilder(List.of(LOCAL_BINARY, "--port", Integer.toString(port),
                                                   "--bind", "127.0.0.1", "--dir", dir.toString(),
                                                   "--appendonly", "yes", "--appendfsync", "everysec",
                                                   "--save", "", "--daemonize", "no",
                                                   "--logfile", dir.resolve("redis.log").toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
            long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (command("PING").equals("+PONG")) {
                    return p;
                }
                if (!p.isAlive()) {
                    break;
                }
                Thread.sleep(20);
            }
            p.destroy();
            throw new AssertionError("redis-server did not start on port " + port + "; see " + dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void requireOwn() {
        if (dir == null) {
            throw new IllegalStateException("this Redis comes from REDIS_URL; use RedisServer.startOwn() to control "
                                            + "it");
        }
    }

    /** A unique key prefix (with a Cluster hash tag), so tests sharing a Redis never see each other's keys. */
    public static String uniquePrefix() {
        return "t" + UUID.randomUUID().toString().substring(0, 8) + ":{b}:";
    }

    private static boolean dockerAvailable() {
        boolean hint = System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"));
        try {
            return hint && DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

}
