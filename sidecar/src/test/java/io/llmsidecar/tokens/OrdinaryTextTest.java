package io.llmsidecar.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real text nobody wrote to fool the tokenizer gets exact counts with the default bound: the JDK's own sources, the
 * project's docs and JSON, and CSV and log text shaped like what apps paste.
 */
class OrdinaryTextTest {
    private static final Encoding ORACLE = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    private static final BpeTokenizer TOKENIZER = BpeTokenizer.o200k();
    /** Every n-th source file of src.zip: about 8 MB in 600 files from every module. */
    private static final int SOURCE_STRIDE = 25;

    @Test
    void jdkSourcesCountExactly() throws IOException {
        Path sources = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        assertTrue(Files.isRegularFile(sources), sources + " is missing: run the tests on a full JDK (scripts/java-home.sh)");
        int files = 0;
        long bytes = 0;
        try (ZipFile zip = new ZipFile(sources.toFile())) {
            int seen = 0;
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory() || seen++ % SOURCE_STRIDE != 0) {
                    continue;
                }
                String text = new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
                assertExact(entry.getName(), text);
                files++;
                bytes += text.length();
            }
        }
        assertTrue(files > 500 && bytes > 4_000_000, files + " files, " + bytes + " chars: src.zip looks truncated");
    }

    @Test
    void projectDocsAndJsonCountExactly() throws IOException {
        List<Path> documents = new ArrayList<>();
        documents.add(Project.root().resolve("README.md"));
        try (Stream<Path> docs = Files.walk(Project.root().resolve("docs"));
             Stream<Path> resources = Files.walk(Project.root().resolve("sidecar/src/test/resources"))) {
            Stream.concat(docs, resources).filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".md") || p.toString().endsWith(".json")
                            || p.toString().endsWith(".sse") || p.toString().endsWith(".rego"))
                    .forEach(documents::add);
        }
        assertTrue(documents.size() > 10, "expected the project's docs and fixtures, found " + documents);
        for (Path document : documents) {
            assertExact(document.toString(), Files.readString(document));
        }
    }

    @Test
    void csvAndLogsCountExactly() {
        Random random = new Random(42);
        StringBuilder csv = new StringBuilder("id,name,email,amount,currency,created_at,note\n");
        StringBuilder log = new StringBuilder();
        String[] names = {"Ana Müller", "José García", "李雷", "O'Brien, Pat", "Zoë", "Łukasz"};
        String[] levels = {"INFO", "WARN", "ERROR", "DEBUG"};
        for (int i = 0; i < 5_000; i++) {
            csv.append(i).append(",\"").append(names[i % names.length]).append("\",user").append(i)
                    .append("@example.com,").append(random.nextInt(1_000_000) / 100.0).append(",EUR,2026-")
                    .append(1 + i % 12).append('-').append(1 + i % 28).append("T12:").append(i % 60)
                    .append(":00Z,\"").append(i % 7 == 0 ? "refund \"\"requested\"\"" : "").append("\"\n");
            log.append("2026-11-30T18:").append(String.format("%02d:%02d.%03d", i % 60, i % 60, i % 1000))
                    .append("Z ").append(levels[i % 4]).append(" [vt-").append(random.nextInt(64))
                    .append("] io.llmsidecar.proxy.ChatForwarder - request ")
                    .append(new java.util.UUID(random.nextLong(), random.nextLong())).append(" from 10.0.")
                    .append(random.nextInt(256)).append('.').append(random.nextInt(256)).append(" took ")
                    .append(random.nextInt(5000)).append("ms status=").append(200 + i % 5).append('\n');
            if (i % 500 == 0) {
                log.append("java.lang.IllegalStateException: budget store unavailable\n")
                        .append("\tat io.llmsidecar.budget.RedisBudgetStore.reserve(RedisBudgetStore.java:88)\n")
                        .append("\t... 12 more\n");
            }
        }
        assertExact("csv", csv.toString());
        assertExact("log", log.toString());
    }

    private static void assertExact(String name, String text) {
        assertEquals(ORACLE.countTokensOrdinary(text), TOKENIZER.count(text), name);
    }
}
