package io.llmsidecar.bench;

import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.policy.PolicyConfig;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.policy.PolicyInput;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole policy step for prompts of real source text from 1 to 400 KB: detectors, input document, evaluation.
 * {@code default} is the bundled policy set, which decides on {@code input.findings} and never gets the text;
 * {@code text-reading} is the same set plus one rule that reads every message's content, with
 * {@code config.input.include_text: true}: what a custom policy that wants the raw text costs.
 *
 * <pre>scripts/jmh.sh PromptTextPolicyBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PromptTextPolicyBenchmark {
    private static final String TEXT_RULE = """
            package sidecar

            deny contains {"code": "forbidden_word", "policy": "words"} if {
            	some message in input.request.messages
            	contains(message.content, "forbidden-word-nobody-writes")
            }
            """;

    @Param({"default", "text-reading"})
    public String policy;

    @Param({"1", "10", "100", "400"})
    public int kb;

    private PolicyEngine engine;
    private ChatRequest request;
    private Subject subject;
    private Estimate estimate;

    @Setup(Level.Trial)
    public void load() throws IOException {
        Optional<Path> dir = policy.equals("default") ? Optional.empty() : Optional.of(textReadingPolicy());
        PolicyConfig config = new PolicyConfig(dir, Optional.empty(), Optional.empty(), Optional.empty(),
                                               Optional.empty(), Optional.empty(),
                                               PolicyConfig.FailureMode.FAIL_CLOSED, Duration.ofSeconds(30), 2,
                                               Duration.ofHours(1), PolicyConfig.DEFAULT_BUNDLE_POLL_INTERVAL,
                                               new PolicyConfig.DecisionLogTarget.Off(), false, true);
        engine = PolicyEngine.start(config, new SidecarMetrics("bench"));
        String prompt = DetectorBenchmark.jdkSource().substring(0, kb * 1024);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("model", "gpt-4o-mini").put("max_tokens", 256);
        json.putArray("messages").addObject().put("role", "user").put("content", prompt);
        request = ChatRequest.parse(json.toString().getBytes(StandardCharsets.UTF_8));
        subject = new Subject("payments", "u-42", new PodIdentity("shop", "checkout-7d9f", "checkout", "checkout",
                                                                   "payments", true));
        estimate = new Estimate(330, 256, 203_100, Optional.of(new PricedModel(
                "gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000))));
        Decision first = evaluate();
        if (!(first instanceof Decision.Allow)) {
            throw new IllegalStateException("the benchmark request must be allowed: " + first);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        engine.close();
    }

    @Benchmark
    public Decision evaluate() {
        Findings findings = engine.detectors().scan(request.promptTexts());
        return engine.evaluate(PolicyInput.of("bench", request, subject, estimate, List.of(), findings));
    }

    private static Path textReadingPolicy() throws IOException {
        Path dir = Files.createTempDirectory("text-reading-policy");
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".rego") && !name.endsWith("_test.rego")) {
                    Files.copy(file, dir.resolve(name));
                }
            }
        }
        Files.writeString(dir.resolve("words.rego"), TEXT_RULE);
        Files.writeString(dir.resolve("data.json"), Files.readString(Path.of("policies/data.json"))
                .replace("\"include_text\": false", "\"include_text\": true"));
        return dir;
    }
}
