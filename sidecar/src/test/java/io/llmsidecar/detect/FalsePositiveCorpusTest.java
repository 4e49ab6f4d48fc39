package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real text nobody wrote to fool the detectors: every {@code .java} file of the JDK's own sources (the JDK running
 * the build ships them in {@code lib/src.zip}, about 15,000 files and 200 MB) and this project's prose. The default
 * detectors must find nothing there; each hit would be a refused request for a coding agent.
 */
class FalsePositiveCorpusTest {
    private static final Detectors DEFAULT = Detectors.create(DetectorConfig.DEFAULT);

    @Test
    void findsNothingInTheJdkSources() throws IOException {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        assertTrue(Files.isRegularFile(zip), "the JDK running the tests has no " + zip
                                             + "; run the build with the project's JDK (scripts/java-home.sh)");
        TreeMap<String, String> hits = new TreeMap<>();
        long files = 0;
        long chars = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.isDirectory() || !entry.getName().endsWith(".java")) {
                    continue;
                }
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                files++;
                chars += text.length();
                Findings findings = DEFAULT.scan(List.of(new PromptText(text, entry.getName())));
                if (!findings.isEmpty()) {
                    hits.put(entry.getName(), findings.toString());
                }
            }
        }
        System.out.printf("src.zip: %d .java files, %d characters scanned, %d with findings%n", files, chars,
                          hits.size());
        assertTrue(files > 10_000, "expected the whole JDK source tree, read " + files + " files");
        assertEquals(new TreeMap<String, String>(), hits, "findings in the JDK's own sources");
    }

    @Test
    void findsNothingInTheProjectsDocs() throws IOException {
        Path root = Project.root();
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).forEach(docs::add);
        }
        docs.add(root.resolve("policies/README.md"));
        TreeMap<String, String> hits = new TreeMap<>();
        for (Path doc : docs) {
            Findings findings = DEFAULT.scan(List.of(new PromptText(Files.readString(doc), doc.toString())));
            if (!findings.isEmpty()) {
                hits.put(root.relativize(doc).toString(), findings.toString());
            }
        }
        assertTrue(docs.size() >= 5, "expected README.md and docs/*.md, found " + docs);
        assertEquals(new TreeMap<String, String>(), hits, "findings in the project's docs");
    }
}
