package io.llmsidecar.policy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Compiles a policy directory to a Wasm bundle with the real {@code opa} CLI ({@code opa build -t wasm}), so that
 * what runs in the sidecar is exactly what {@code opa test} checked.
 */
final class OpaCompiler {
    static final String ENTRYPOINT = "sidecar/decision";
    private static final long TIMEOUT_SECONDS = 120;

    private final Optional<Path> opa;
    private final String notFound;

    private OpaCompiler(Optional<Path> opa, String notFound) {
        this.opa = opa;
        this.notFound = notFound;
    }

    /**
     * Finds {@code opa}: the configured binary, else the first on PATH, else the project's {@code .tools/bin/opa}
     * (from the working directory or its parent, where {@code scripts/setup.sh} installs it).
     */
    static OpaCompiler locate(Optional<Path> configured) {
        if (configured.isPresent()) {
            Path bin = configured.get();
            return new OpaCompiler(Files.isExecutable(bin) ? Optional.of(bin) : Optional.empty(),
                                   "policy.opa-bin (SIDECAR_OPA_BIN) names " + bin + ", which is not an executable");
        }
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    candidates.add(Path.of(dir, "opa"));
                }
            }
        }
        candidates.add(Path.of(".tools", "bin", "opa"));
        candidates.add(Path.of("..", ".tools", "bin", "opa"));
        Optional<Path> found = candidates.stream().filter(Files::isExecutable).findFirst()
                .map(p -> p.toAbsolutePath().normalize());
        return new OpaCompiler(found, "no opa binary on PATH or in .tools/bin; install it (scripts/setup.sh run), set "
                                      + "SIDECAR_OPA_BIN, or ship a prebuilt bundle with SIDECAR_POLICY_BUNDLE");
    }

    Optional<Path> binary() {
        return opa;
    }

    /** Runs {@code opa build} on a snapshot of the directory and returns the bundle's bytes. */
    byte[] compile(PolicyDirectory sources) throws PolicyLoadException {
        Path bin = opa.orElseThrow(() -> new PolicyLoadException("cannot compile " + sources.root() + ": " + notFound));
        Path work = null;
        try {
            work = Files.createTempDirectory("llm-sidecar-policy");
            Path src = Files.createDirectory(work.resolve("src"));
            sources.writeTo(src);
            Path out = work.resolve("bundle.tar.gz");
            // Built from inside the directory so the bundle holds relative paths, not this machine's.
            Process process = new ProcessBuilder(bin.toString(), "build", "-t", "wasm", "-e", ENTRYPOINT,
                                                 "--ignore", "*_test.rego", "-o", out.toString(), ".")
                    .directory(src.toFile())
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new PolicyLoadException("opa build did not finish within " + TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new PolicyLoadException("opa build failed for " + sources.root() + ": "
                                              + new String(output, StandardCharsets.UTF_8).strip());
            }
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new PolicyLoadException("cannot run " + bin + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PolicyLoadException("interrupted while compiling the policy");
        } finally {
            deleteQuietly(work);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temp directory is harmless.
        }
    }
}
