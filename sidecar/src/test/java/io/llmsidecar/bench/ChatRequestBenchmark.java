package io.llmsidecar.bench;

import io.llmsidecar.openai.ChatRequest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Parse and validate a ~1.5 KB chat request: the first thing every request pays for. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ChatRequestBenchmark {
    private final byte[] body = BenchFixtures.chatRequest(1500).getBytes(StandardCharsets.UTF_8);

    @Benchmark
    public ChatRequest parseAndValidate() {
        return ChatRequest.parse(body);
    }
}
