package io.llmsidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real local Redis deployments for tests, made of Debian's binaries: a three-master Redis Cluster
 * ({@code redis-server --cluster-enabled yes} three times, then {@code redis-cli --cluster create}), or a master
 * watched by a Sentinel ({@code redis-sentinel}). Everything runs on 127.0.0.1 in a temporary directory and is torn
 * down by {@link #close()}. A missing binary fails the test, never skips it.
 */
public final class RedisCluster implements AutoCloseable {
    private static final String SERVER = "/usr/bin/redis-server";
    private static final String CLI = "/usr/bin/redis-cli";
    private static final String SENTINEL = "/usr/bin/redis-sentinel";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final Map<Integer, Process> byPort = new HashMap<>();
    private String uri;

    private RedisCluster(Path dir) {
        this.dir = dir;
    }

    /** Three masters, every slot assigned, {@code cluster_state:ok} on each. */
    public static RedisCluster startCluster() {
        require(SERVER, "redis-server");
        require(CLI, "redis-cli");
        RedisCluster c = new RedisCluster(tempDir("llm-sidecar-cluster"));
        try {
            for (int i = 0; i < 3; i++) {
                int port = Project.freePort();
                Path node = Files.createDirectories(c.dir.resolve(Integer.toString(port)));
                c.launch(node, List.of(SERVER, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                                       "--cluster-enabled", "yes", "--cluster-config-file",
                                       node.resolve("nodes.conf").toString(), "--dir", node.toString(),
                                       "--save", "", "--appendonly", "no", "--daemonize", "no",
                                       "--logfile", node.resolve("redis.log").toString()), port);
            }
            List<String> create = new ArrayList<>(List.of(CLI, "--cluster", "create"));
            c.ports.forEach(p -> create.add("127.0.0.1:" + p));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(c.dir.resolve("create.log").toFile()).start();
            if (p.waitFor() != 0) {
                throw new AssertionError("redis-cli --cluster create failed; see " + c.dir.resolve("create.log"));
            }
            for (int port : c.ports) {
                c.await(() -> command(port, "CLUSTER INFO").contains("cluster_state:ok"),
                        "cluster_state:ok on port " + port);
            }
            c.uri = "redis://127.0.0.1:" + c.ports.getFirst();
            return c;
        } catch (IOException e) {
            c.close();
            throw new UncheckedIOException(e);
        } catch (InterruptedException | RuntimeException | AssertionError e) {
            c.close();
            throw e instanceof InterruptedException ? new IllegalStateException(e) : (RuntimeException) wrap(e);
        }
    }

    /** A master and one Sentinel watching it as {@code mymaster} (quorum 1). */
    public static RedisCluster startSentinel() {
        require(SERVER, "redis-server");
        require(SENTINEL, "redis-sentinel (apt-get install -y redis-sentinel)");
        RedisCluster c = new RedisCluster(tempDir("llm-sidecar-sentinel"));
        try {
            int master = Project.freePort();
            Path m = Files.createDirectories(c.dir.resolve("master"));
            c.launch(m, List.of(SERVER, "--port", Integer.toString(master), "--bind", "127.0.0.1", "--dir",
                                m.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no",
                                "--logfile", m.resolve("redis.log").toString()), master);
            int sentinel = Project.freePort();
            Path s = Files.createDirectories(c.dir.resolve("sentinel"));
            Path conf = s.resolve("sentinel.conf");
            Files.writeString(conf, "port " + sentinel + "\nbind 127.0.0.1\ndir " + s + "\n"
                                    + "sentinel monitor mymaster 127.0.0.1 " + master + " 1\n"
                                    + "sentinel down-after-milliseconds mymaster 2000\n"
                                    + "logfile " + s.resolve("sentinel.log") + "\n");
            c.launch(s, List.of(SENTINEL, conf.toString()), sentinel);
            c.await(() -> command(sentinel, "SENTINEL get-master-addr-by-name mymaster")
                    .contains(Integer.toString(master)), "the Sentinel knows mymaster");
            c.uri = "redis-sentinel://127.0.0.1:" + sentinel + "#mymaster";
            return c;
        } catch (IOException e) {
            c.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | AssertionError e) {
            c.close();
            throw (RuntimeException) wrap(e);
        }
    }

    /** The URI a sidecar is given: a seed node of the Cluster, or the Sentinel with the master's name. */
    public String uri() {
        return uri;
    }

    /** Every data node's port (the Cluster's masters, or the Sentinel setup's master first). */
    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** The port of the master that serves {@code key}'s slot (its hash tag's). */
    public int masterOf(String key) {
        String slot = command(ports.getFirst(), "CLUSTER KEYSLOT " + key).replaceAll("[^0-9]", "");
        for (int port : ports) {
            for (String line : command(port, "CLUSTER NODES").split("\n")) {
                if (line.contains("myself") && line.contains("master") && servesSlot(line, Integer.parseInt(slot))) {
                    return port;
                }
            }
        }
        throw new AssertionError("no master serves slot " + slot);
    }

    /** Freezes the node at {@code port} with {@code kill -STOP}: its connections stay open, commands queue up. */
    public void pause(int port) {
        RedisServer.signal(byPort.get(port).pid(), "STOP");
    }

    /** {@code kill -CONT}: the node runs again and executes what queued up. */
    public void resume(int port) {
        RedisServer.signal(byPort.get(port).pid(), "CONT");
    }

    private static boolean servesSlot(String nodesLine, int slot) {
        String[] fields = nodesLine.strip().split(" ");
        for (int i = 8; i < fields.length; i++) {
            String[] range = fields[i].split("-");
            if (range[0].startsWith("[")) {
                continue;
            }
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            if (slot >= from && slot <= to) {
                return true;
            }
        }
        return false;
    }

    /** Keys matching {@code pattern} on every node together. */
    public List<String> keys(String pattern) {
        List<String> keys = new ArrayList<>();
        for (int port : ports) {
            keys.addAll(keysOn(port, pattern));
        }
        return keys;
    }

    /** Keys matching {@code pattern} on the node at {@code port} alone. */
    public static List<String> keysOn(int port, String pattern) {
        return RedisServer.bulkStrings(command(port, "KEYS " + pattern));
    }

    /** Sends one command (inline protocol) to 127.0.0.1:{@code port} and returns the raw reply. */
    public static String command(int port, String inline) {
        return RedisServer.command("127.0.0.1", port, inline);
    }

    @Override
    public void close() {
        for (Process p : processes) {
            // A node a failed test left frozen would ignore SIGTERM until it runs again.
            if (p.isAlive()) {
                RedisServer.signal(p.pid(), "CONT");
            }
            p.destroy();
        }
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is not worth failing a test for.
        }
    }

    private void launch(Path workDir, List<String> command, int port) throws IOException {
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("stdout.log").toFile()).start();
        processes.add(p);
        await(() -> command(port, "PING").equals("+PONG"), command.getFirst() + " on port " + port);
        if (!command.getFirst().equals(SENTINEL)) {
            ports.add(port);
            byPort.put(port, p);
        }
    }

    private void await(java.util.function.BooleanSupplier ready, String what) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (ready.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("never ready: " + what + "; see " + dir);
    }

    private static Path tempDir(String name) {
        try {
            return Files.createTempDirectory(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void require(String binary, String what) {
        if (!Files.isExecutable(Path.of(binary))) {
            throw new AssertionError("This test needs " + what + " at " + binary + " (scripts/setup.sh test)");
        }
    }

    private static Throwable wrap(Throwable e) {
        return e instanceof RuntimeException ? e : new IllegalStateException(e.getMessage(), e);
    }
}
