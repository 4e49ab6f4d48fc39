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

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-request estimate: prompt tokens of a ~1.5 KB request plus its price. The request repeats, as chat
 * traffic's system prompts and histories do, so the counts come from the cache; {@link #uncachedText} shows what
 * counting the same text from scratch costs.
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
