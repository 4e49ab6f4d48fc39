package io.llmsidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

/** Where the repository is, and free loopback ports: what tests of every package need from their surroundings. */
public final class Project {
    private Project() {
    }

    /** The repository root, from the {@code project.root} property Maven sets (the module's parent otherwise). */
    public static Path root() {
        return Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    }

    /** A loopback port nothing listens on at the moment of the call: for servers a test starts, or connection refused. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
