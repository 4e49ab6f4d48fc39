package io.llmsidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Where the repository is, and free loopback ports: what tests of every package need from their surroundings. */
public final class Project {
    /** Linux's ephemeral range when it cannot be read: the kernel's default. */
    private static final int EPHEMERAL_FROM = 32_768;
    private static final int LOWEST = 10_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Project() {
    }

    /** The repository root, from the {@code project.root} property Maven sets (the module's parent otherwise). */
    public static Path root() {
        return Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    }

    /**
     * A loopback port nothing listens on at the moment of the call: for servers a test starts, or connection refused.
     * Taken below the kernel's ephemeral range, never twice in one JVM: a port of that range (what binding port 0
     * gives) can be taken as the source port of any outgoing connection between this call and the server's bind,
     * which made a sidecar restarted by {@code BudgetProcessIT} fail with "Address already in use".
     */
    public static int freePort() {
        int below = ephemeralFrom();
        for (int attempt = 0; attempt < 200 && below - LOWEST > 1_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            if (HANDED_OUT.add(port) && bindable(port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range ({@code ip_local_port_range}). */
    private static int ephemeralFrom() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return EPHEMERAL_FROM;
        }
    }
}
