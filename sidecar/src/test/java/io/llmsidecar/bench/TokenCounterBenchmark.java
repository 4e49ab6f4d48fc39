package io.llmsidecar.bench;

import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.Estimator;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PriceBook;
import io.llmsidecar.tokens.TokenCounter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.openjdk.jmh.annotations.Param;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Enumeration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The per-request estimate: prompt tokens of a ~1.5 KB request plus its price. The request repeats, as chat
 * traffic's system prompts and histories do, so the counts come from the cache; {@link #uncachedText} shows what
 * counting the same text from scratch costs.
 *
 * <p>{@link #countText} counts never-cached text of 1 KB to 3 MB, ordinary and pathological ({@link Texts}): time
 * per KB must stay flat as the size grows. {@link #jtokkitText} is the exact reference tokenizer on the same texts
 * (restrict it with {@code -p shape=prose,java}: it takes seconds on the pathological 3 MB ones).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenCounterBenchmark {
    private byte[] body;
    private ChatRequest request;
    private Estimator estimator;
    private TokenCounter tokens;
    private String text;

    @Setup
    public void setUp() {
        body = BenchFixtures.chatRequest(1500).getBytes(StandardCharsets.UTF_8);
        request = ChatRequest.parse(body);
        tokens = TokenCounter.create();
        text = request.messages().get(3).get("content").asText();
        estimator = new Estimator(tokens, new PriceBook(Map.of("gpt-4o-mini",
                new ModelPrice(150_000, 600_000, 75_000, 16384, 128000))), 4096);
    }

    /** Texts of a given size and shape, ASCII so that bytes = chars. */
    @State(Scope.Benchmark)
    public static class Texts {
        @Param({"1024", "102400", "409600", "3145728"})
        public int bytes;

        /**
         * prose: the project's docs; java: the JDK's sources; oneWord: random lowercase letters, one piece;
         * oneChar: one letter repeated; base64: random bytes in base64; minified: code without whitespace;
         * words1000: 1,000-letter words, each just under the bound, so each is merged exactly (the costliest shape).
         */
        @Param({"prose", "java", "oneWord", "oneChar", "base64", "minified", "words1000"})
        public String shape;

        public String text;
        Encoding jtokkit;

        @Setup
        public void setUp() {
            Random random = new Random(7);
            text = switch (shape) {
                case "prose" -> repeatTo(projectDocs(), bytes);
                case "java" -> repeatTo(jdkSources(bytes), bytes);
                case "oneWord" -> fromAlphabet(random, bytes, "abcdefghijklmnopqrstuvwxyz");
                case "oneChar" -> "a".repeat(bytes);
                case "base64" -> {
                    byte[] raw = new byte[bytes];
                    random.nextBytes(raw);
                    yield Base64.getEncoder().encodeToString(raw).substring(0, bytes);
                }
                case "minified" -> minified(random, bytes);
                case "words1000" -> {
                    StringBuilder out = new StringBuilder(bytes);
                    while (out.length() < bytes) {
                        out.append(' ').append(fromAlphabet(random, 999, "abcdefghijklmnopqrstuvwxyz"));
                    }
                    yield out.substring(0, bytes);
                }
                default -> throw new IllegalArgumentException("unknown shape " + shape);
            };
            jtokkit = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
        }

        private static String projectDocs() {
            Path root = Path.of(System.getProperty("project.root", "."));
            StringBuilder out = new StringBuilder();
            try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
                out.append(Files.readString(root.resolve("README.md")));
                for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                    out.append(Files.readString(doc));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("run from the repository root (scripts/jmh.sh does)", e);
            }
            return out.toString().replaceAll("[^\\x00-\\x7f]", " ");
        }

        private static String jdkSources(int bytes) {
            Path sources = Path.of(System.getProperty("java.home"), "lib", "src.zip");
            StringBuilder out = new StringBuilder(bytes);
            try (ZipFile zip = new ZipFile(sources.toFile())) {
                for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements() && out.length() < bytes; ) {
                    ZipEntry entry = e.nextElement();
                    if (entry.getName().startsWith("java.base/java/util/") && entry.getName().endsWith(".java")) {
                        out.append(new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + sources, e);
            }
            return out.toString().replaceAll("[^\\x00-\\x7f]", " ");
        }

        private static String minified(Random random, int bytes) {
            String[] parts = {"function(", "){", "return ", "var ", "=", ";", "}", ",", ".", "this.", "&&", "||",
                "!0", "void 0", "null", "[", "]", "(", ")", "?", ":", "+", "\"use strict\";"};
            StringBuilder out = new StringBuilder(bytes + 32);
            while (out.length() < bytes) {
                if (random.nextInt(3) == 0) {
                    out.append(fromAlphabet(random, 1 + random.nextInt(3), "abcdefghijklmnopqrstuvwxyzABCDEF_$"));
                } else {
                    out.append(parts[random.nextInt(parts.length)]);
                }
            }
            return out.substring(0, bytes);
        }

        private static String repeatTo(String text, int bytes) {
            StringBuilder out = new StringBuilder(bytes);
            while (out.length() < bytes) {
                out.append(text, 0, Math.min(text.length(), bytes - out.length()));
            }
            return out.toString();
        }

        private static String fromAlphabet(Random random, int n, String alphabet) {
            StringBuilder out = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                out.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            return out.toString();
        }
    }

    /** Never-cached text of one size and shape: exact for ordinary text, bounded for pathological pieces. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public long countText(Texts texts) {
        return tokens.textTokens(texts.text);
    }

    /** jtokkit 1.1.0, exact, on the same text: what the sidecar used before. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    public int jtokkitText(Texts texts) {
        return texts.jtokkit.countTokensOrdinary(texts.text);
    }

    @Benchmark
    public long promptTokens() {
        return tokens.promptTokens(request);
    }

    /** The same text uncached: what a never-seen prompt costs (o200k, the gpt-4o family's encoding). */
    @Benchmark
    public long uncachedText() {
        return tokens.textTokens(text);
    }

    /**
     * Parse and estimate from the bytes, as a request does: fresh strings each time, so the cache pays for hashing
     * and comparing them (compare with ChatRequestBenchmark for the parse alone).
     */
    @Benchmark
    public Estimate parseAndEstimate() {
        return estimator.estimate(ChatRequest.parse(body));
    }
}
