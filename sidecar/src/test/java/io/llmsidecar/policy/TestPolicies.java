package io.llmsidecar.policy;

import io.llmsidecar.testing.Project;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Policy directories for tests: the project's defaults, the test policies in resources, ConfigMap layouts. */
final class TestPolicies {
    private TestPolicies() {
    }


    /** Copies the default policy set (without its tests) from {@code policies/} into {@code target}. */
    static Path copyDefaults(Path target) {
        try (Stream<Path> files = Files.list(Project.root().resolve("policies"))) {
            Files.createDirectories(target);
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if ((name.endsWith(".rego") && !name.endsWith("_test.rego")) || name.equals("data.json")) {
                    Files.copy(file, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies {@code src/test/resources/policies/<name>} into {@code target}. */
    static Path copyResource(String name, Path target) {
        try {
            Files.createDirectories(target);
            for (String file : new String[] {"decision.rego", "data.json", "builtins.rego"}) {
                try (InputStream in = TestPolicies.class.getResourceAsStream("/policies/" + name + "/" + file)) {
                    if (in != null) {
                        Files.copy(in, target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String resource(String path) {
        try (InputStream in = TestPolicies.class.getResourceAsStream(path)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes {@code files} into {@code dir} the way the kubelet updates a ConfigMap volume: a new hidden
     * {@code ..<version>} directory, then one atomic rename of the {@code ..data} link, with each file a link
     * through {@code ..data}.
     */
    static void configMap(Path dir, String version, Map<String, String> files) {
        try {
            Files.createDirectories(dir);
            Path versioned = Files.createDirectory(dir.resolve(".." + version));
            for (var file : files.entrySet()) {
                Files.writeString(versioned.resolve(file.getKey()), file.getValue());
            }
            Path link = Files.createSymbolicLink(dir.resolve("..data_tmp"), versioned.getFileName());
            Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                       StandardCopyOption.REPLACE_EXISTING);
            for (String name : files.keySet()) {
                if (!Files.exists(dir.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds a bundle from a directory with the real opa, as an operator would. */
    static byte[] build(Path dir, Path out) {
        try {
            Process p = new ProcessBuilder(Project.root().resolve("scripts/opa.sh").toString(), "build", "-t", "wasm",
                                           "-e", OpaCompiler.ENTRYPOINT, "-o", out.toString(), ".")
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new AssertionError("opa build failed: " + output);
            }
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** An engine configuration for tests: no decision log unless given, a short watch interval. */
    static PolicyConfig config(Optional<Path> dir, Optional<Path> bundle, int poolSize, Duration timeout) {
        return new PolicyConfig(dir, bundle, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                PolicyConfig.FailureMode.FAIL_CLOSED, timeout, poolSize, Duration.ofMillis(100),
                                Duration.ofMillis(100), new PolicyConfig.DecisionLogTarget.Off(), false, true);
    }
}
