package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import io.llmsidecar.testing.GoEnv;
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
 * the build ships them in {@code lib/src.zip}, about 15,000 files and 200 MB), every text file of Go's standard
 * library ({@code $(go env GOROOT)/src}: Go, assembly and test data, full of seed tables, float constants, test
 * vectors and instruction encodings) and this project's prose. The default detectors must find nothing in the JDK
 * and the docs, and no high-confidence card in Go's sources; each hit would be a refused request for a coding agent.
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
    void findsNoHighConfidenceCardInGosStandardLibrary() throws IOException {
        Path src = GoEnv.path("GOROOT").resolve("src");
        assertTrue(Files.isDirectory(src), "no Go sources at " + src);
        TreeMap<String, String> high = new TreeMap<>();
        TreeMap<String, String> low = new TreeMap<>();
        long files = 0;
        long chars = 0;
        int lowCards = 0;
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(src)) {
            paths = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path path : paths) {
            byte[] bytes = Files.readAllBytes(path);
            if (binary(bytes)) {
                continue;
            }
            String text = new String(bytes, StandardCharsets.UTF_8);
            files++;
            chars += text.length();
            String name = src.relativize(path).toString();
            Findings findings = DEFAULT.scan(List.of(new PromptText(text, name)));
            if (findings.count(FindingKind.PAYMENT_CARD, Confidence.HIGH) > 0) {
                high.put(name, findings.toString());
            } else if (findings.count(FindingKind.PAYMENT_CARD) > 0) {
                low.put(name, findings.toString());
                lowCards += findings.count(FindingKind.PAYMENT_CARD);
            }
        }
        System.out.printf("Go %s/src: %d text files, %d characters scanned, %d high-confidence card findings, "
                          + "%d low-confidence ones in %d files %s%n", src.getParent(), files, chars, high.size(),
                          lowCards, low.size(), low.keySet());
        assertTrue(files > 8_000, "expected Go's whole standard library, read " + files + " files");
        assertEquals(new TreeMap<String, String>(), high, "high-confidence card findings in Go's sources");
        assertTrue(lowCards <= 5, "low-confidence card findings in Go's sources went up to " + lowCards + ": " + low);
    }

    /** Images, archives and compiled test data: a NUL byte in the first 8 KB. */
    private static boolean binary(byte[] bytes) {
        for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
            if (bytes[i] == 0) {
                return true;
            }
        }
        return false;
    }

    /** The docs may show a bare test-card number (the policy input example's low-confidence card), nothing more. */
    @Test
    void findsNoHighConfidenceFindingInTheProjectsDocs() throws IOException {
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
            boolean onlyLowCards = findings.kinds().equals(java.util.Set.of(FindingKind.PAYMENT_CARD))
                                   && findings.count(FindingKind.PAYMENT_CARD, Confidence.HIGH) == 0;
            if (!findings.isEmpty() && !onlyLowCards) {
                hits.put(root.relativize(doc).toString(), findings.toString());
            }
        }
        assertTrue(docs.size() >= 5, "expected README.md and docs/*.md, found " + docs);
        assertEquals(new TreeMap<String, String>(), hits, "findings in the project's docs");
    }
}
