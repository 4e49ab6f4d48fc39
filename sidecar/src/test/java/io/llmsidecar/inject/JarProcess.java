package io.llmsidecar.inject;

import io.llmsidecar.testing.Project;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The built jar ({@code sidecar/target/llm-sidecar.jar}) run as its own process, as the image runs it, with exactly
 * the environment given (no variables of the test's own leak in), its output in a log file.
 */
final class JarProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JarProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * @param jvmOptions options before {@code -jar}, e.g. {@code -Djava.io.tmpdir}
     * @param args       the container's args ({@code serve}, {@code inject})
     */
    static JarProcess start(List<String> jvmOptions, List<String> args, Map<String, String> environment, Path log) {
        Path jar = Project.root().resolve("sidecar/target/llm-sidecar.jar");
        if (!Files.isRegularFile(jar)) {
            fail(jar + " is missing: `make e2e` runs the e2e tests after `mvn package`, which builds it");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            return new JarProcess(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until something accepts connections on 127.0.0.1:{@code port}, failing with the log if it exits. */
    JarProcess awaitPort(int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("The jar exited with " + process.exitValue() + " before listening on " + port + ":\n" + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return this;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        fail("The jar did not listen on " + port + " within " + timeout + ":\n" + log());
        return this;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
