package io.llmsidecar.bench;

import io.llmsidecar.detect.DetectorConfig;
import io.llmsidecar.detect.Detectors;
import io.llmsidecar.detect.Findings;
import io.llmsidecar.openai.PromptText;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The detectors on one prompt text: real source (JDK sources from {@code lib/src.zip}) and prose at 1 to 400 KB,
 * and 400 KB of each adversarial shape. Divide the time by the size for ns per KB; it must not grow with the size
 * or depend on the shape beyond a constant.
 *
 * <pre>scripts/jmh.sh DetectorBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DetectorBenchmark {
    @Param({"source:1", "source:10", "source:100", "source:400", "prose:100",
            "sk-:400", "AKIA:400", "ghp_:400", "digits-spaces:400", "digits-dashes:400", "cards:400",
            "bare-cards:400", "int64-list:400",
            "one-word:400", "one-char:400", "begin:400", "eyJ:400", "digits:400"})
    public String shape;

    private Detectors detectors;
    private List<PromptText> texts;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        detectors = Detectors.create(DetectorConfig.DEFAULT);
        String[] parts = shape.split(":");
        int size = Integer.parseInt(parts[1]) * 1024;
        String text = switch (parts[0]) {
            case "source" -> fill(jdkSource(), size);
            case "prose" -> fill(Files.readString(Path.of("README.md")) + Files.readString(Path.of("docs/BENCHMARKS.md")),
                                 size);
            case "sk-" -> fill("sk-", size);
            case "AKIA" -> fill("AKIA", size);
            case "ghp_" -> fill("ghp_", size);
            case "digits-spaces" -> fill("1 ", size);
            case "digits-dashes" -> fill("7-", size);
            case "cards" -> fill("4111 1111 1111 1111 ", size);
            case "bare-cards" -> fill("4111111111111111 ", size);           // every number a candidate
            case "int64-list" -> fill("1395769623340756751, 4111111111111111, ", size);   // a list, half cards
            case "one-word" -> fill("abcdefghij", size);
            case "one-char" -> fill("a", size);
            case "begin" -> fill("-----BEGIN ", size);
            case "eyJ" -> fill("eyJ", size);
            case "digits" -> fill("4", size);
            default -> throw new IllegalArgumentException(shape);
        };
        texts = List.of(new PromptText(text, "messages[0].content"));
    }

    @Benchmark
    public Findings scan() {
        return detectors.scan(texts);
    }

    private static String fill(String unit, int size) {
        return unit.repeat(size / unit.length() + 1).substring(0, size);
    }

    /** The first ~1 MB of the JDK's own sources, in zip order. */
    static String jdkSource() {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        StringBuilder text = new StringBuilder();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null && text.length() < 1 << 20; ) {
                if (entry.getName().endsWith(".java")) {
                    text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
