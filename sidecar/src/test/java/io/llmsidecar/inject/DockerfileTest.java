package io.llmsidecar.inject;

import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * There is no Docker engine here to build the image, so this checks what can be checked offline: every file the
 * Dockerfile copies from the build context exists and is let through by {@code .dockerignore}, and the build stage
 * has what the Maven build needs (the policy compiler scripts).
 */
class DockerfileTest {
    private static final Path ROOT = Project.root();

    @Test
    void everyCopiedPathExistsAndIsInTheBuildContext() throws Exception {
        List<PathMatcher> included = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve(".dockerignore"))) {
            if (line.startsWith("!")) {
                included.add(FileSystems.getDefault().getPathMatcher("glob:" + line.substring(1)));
            }
        }
        List<String> problems = new ArrayList<>();
        List<String> copied = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
            String l = line.strip();
            if (!l.startsWith("COPY ") || l.contains("--from=")) {
                continue;
            }
            String[] parts = l.substring(5).strip().split("\\s+");
            for (int i = 0; i < parts.length - 1; i++) {
                String source = parts[i].endsWith("/") ? parts[i].substring(0, parts[i].length() - 1) : parts[i];
                copied.add(source);
                Path path = ROOT.resolve(source);
                if (!Files.exists(path)) {
                    problems.add(source + " does not exist");
                    continue;
                }
                // A copied file must be in the context; a copied directory must bring its main sources along (its
                // tests may stay out: the image build skips them).
                List<Path> needed = Files.isDirectory(path)
                        ? Files.walk(path).filter(Files::isRegularFile)
                                .filter(f -> !ROOT.relativize(f).toString().contains("/src/test/")).toList()
                        : List.of(path);
                for (Path f : needed) {
                    Path relative = ROOT.relativize(f);
                    if (included.stream().noneMatch(m -> m.matches(relative))) {
                        problems.add(relative + " is excluded by .dockerignore");
                    }
                }
            }
        }
        assertTrue(copied.containsAll(List.of("pom.xml", "sidecar/src", "policies", "scripts/opa.sh",
                                              "scripts/build-policies.sh")), "copied: " + copied);
        assertEquals(List.of(), problems);
    }
}
