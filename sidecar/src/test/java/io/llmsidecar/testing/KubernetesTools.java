package io.llmsidecar.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The pinned {@code kustomize} and {@code kubeconform} in {@code .tools/bin} ({@code scripts/setup.sh test} installs
 * them), validating against the strict schemas vendored in {@code k8s/schemas}. A missing tool fails the test: a
 * validation that quietly skips proves nothing.
 */
public final class KubernetesTools {
    private KubernetesTools() {
    }

    public static Path projectRoot() {
        Path root = Project.root();
        if (!Files.isDirectory(root.resolve("k8s"))) {
            fail("Cannot find the project root with k8s/ at " + root + " (system property project.root)");
        }
        return root;
    }

    /** {@code kustomize build dir}, failing the test with kustomize's message when it cannot render. */
    public static String kustomize(Path dir) {
        Run run = run(List.of(tool("kustomize").toString(), "build", dir.toString()), null);
        if (run.exit() != 0) {
            fail("kustomize build " + dir + " failed:\n" + run.errors() + run.output());
        }
        return run.output();
    }

    /** Validates YAML or JSON documents strictly; the result carries kubeconform's own report. */
    public static Run kubeconform(String documents) {
        Path schemas = projectRoot().resolve("k8s/schemas");
        return run(List.of(tool("kubeconform").toString(), "-strict", "-summary", "-output", "text",
                           "-schema-location", schemas + "/{{ .ResourceKind }}{{ .KindSuffix }}.json", "-"),
                   documents);
    }

    /** Fails unless every document is valid and at least {@code minimum} were checked (none skipped). */
    public static void assertValid(String documents, int minimum, String what) {
        Run run = kubeconform(documents);
        assertEquals(0, run.exit(), what + " does not validate:\n" + run.output() + run.errors());
        assertTrue(run.output().contains("Skipped: 0"), what + ": kubeconform skipped resources:\n" + run.output());
        int valid = Integer.parseInt(run.output().replaceAll("(?s).*Valid: (\\d+).*", "$1"));
        assertTrue(valid >= minimum, what + ": only " + valid + " resources validated, expected at least "
                                     + minimum + ":\n" + run.output());
    }

    /**
     * {@code promtool} (Debian's prometheus package, which {@code scripts/setup.sh test} installs) run in
     * {@code dir}, e.g. {@code check rules rules.yaml} or {@code test rules tests.yaml}.
     */
    public static Run promtool(Path dir, String... args) {
        Path promtool = Stream.of(System.getenv("PATH").split(java.io.File.pathSeparator))
                .map(p -> Path.of(p, "promtool"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseGet(() -> fail("promtool is missing. Run `scripts/setup.sh test` (or `make test`), which "
                                      + "installs Debian's prometheus package."));
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        return run(command, null, dir);
    }

    /** One finished tool run. */
    public record Run(int exit, String output, String errors) {
        public boolean ok() {
            return exit == 0;
        }

        public String describe() {
            return "exit " + exit + "\n" + errors + output;
        }
    }

    private static Path tool(String name) {
        Path tool = projectRoot().resolve(".tools/bin").resolve(name);
        if (!Files.isExecutable(tool)) {
            fail(tool + " is missing. Run `scripts/setup.sh test` (or `make test`), which installs the pinned "
                 + name + " with go install.");
        }
        return tool;
    }

    private static Run run(List<String> command, String stdin) {
        return run(command, stdin, null);
    }

    /** Runs {@code command} with {@code stdin} (or none) in {@code dir} (or here); fails the test after 120 s. */
    public static Run run(List<String> command, String stdin, Path dir) {
        try {
            Path out = Files.createTempFile("k8s-tool", ".out");
            Path err = Files.createTempFile("k8s-tool", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
                        .directory(dir == null ? null : dir.toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
                Process process = builder.start();
                try (var in = process.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(StandardCharsets.UTF_8));
                    }
                }
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail(String.join(" ", command) + " did not finish within 120 s");
                }
                return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
