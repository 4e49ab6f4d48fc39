package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records real traffic through a sidecar enforcing a copy of the default policies, then replays the recorded
 * decisions against the same policy (nothing changes) and against a changed one (a model removed from a team's
 * allow-list, another added, a lower max_tokens cap), checking every count and the cost admitted.
 */
class ReplayIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATA = """
            {"config": {
              "model_allowlist": {"default": ["*"], "teams": {"payments": ["gpt-4o-mini", "gpt-4.1", "anthropic/*"]}},
              "max_tokens": {"default": 16384},
              "cost": {"max_request_usd": 0.5}
            }}
            """;
    /** gpt-4.1 leaves the payments allow-list, gpt-4o joins it, and the max_tokens cap halves. */
    private static final String CHANGED = """
            {"config": {
              "model_allowlist": {"default": ["*"], "teams": {"payments": ["gpt-4o-mini", "gpt-4o", "anthropic/*"]}},
              "max_tokens": {"default": 8192},
              "cost": {"max_request_usd": 0.5}
            }}
            """;
    private static Path dir;
    private static Path policy;
    private static Path log;
    /** Request id to the model it asked for, of the gpt-4.1 requests (allowed, then denied by the change). */
    private static final List<String> gpt41Ids = new ArrayList<>();

    @BeforeAll
    static void recordTraffic() throws Exception {
        dir = Files.createTempDirectory("replay-it");
        policy = TestPolicies.copyDefaults(dir.resolve("policy"));
        Files.writeString(policy.resolve("data.json"), DATA);
        log = dir.resolve("decisions/decisions.jsonl");
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("policy.dir", policy.toString(),
                                                                      "policy.decision-log", log.toString()))) {
            for (int i = 0; i < 3; i++) {
                assertStatus(200, sidecar.chat(body("gpt-4o-mini", "Plan meals " + i, 256), "x-llm-team",
                                               "payments"));
            }
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> r = sidecar.chat(body("gpt-4.1", "Summarise " + i, 256), "x-llm-team",
                                                      "payments");
                assertStatus(200, r);
                gpt41Ids.add(r.headers().firstValue("x-request-id").orElseThrow());
            }
            for (int i = 0; i < 2; i++) {
                assertStatus(403, sidecar.chat(body("gpt-4o", "Translate " + i, 256), "x-llm-team", "payments"));
            }
            assertStatus(403, sidecar.chat(body("gpt-4o-mini", "deploy with AKIAIOSFODNN7EXAMPLE", 256),
                                           "x-llm-team", "payments"));
            HttpResponse<String> patched = sidecar.chat(body("gpt-4o-mini", "A long story", 50_000), "x-llm-team",
                                                        "payments");
            assertStatus(200, patched);
            assertEquals("max_tokens", patched.headers().firstValue("x-llm-sidecar-patched").orElseThrow());
            awaitLines("sidecar/settlement", 6);
        }
    }

    @Test
    void theSamePolicyChangesNothing() throws Exception {
        Result result = replay("--decisions", log.toString(), "--policy", policy.toString(), "--json",
                               "--fail-on-change");
        assertEquals(0, result.status, result.out + result.err);
        JsonNode report = JSON.readTree(result.out);
        assertEquals(9, report.get("decisions").intValue());
        assertEquals(9, report.get("unchanged").intValue());
        assertEquals(0, report.get("changed").intValue());
        assertEquals(report.at("/cost_admitted_usd/before").decimalValue(),
                     report.at("/cost_admitted_usd/after").decimalValue());
    }

    @Test
    void aChangedPolicyReportsEachKindOfChangeWithExamplesAndFailsWhenAsked() throws Exception {
        Path changed = TestPolicies.copyDefaults(dir.resolve("changed"));
        Files.writeString(changed.resolve("data.json"), CHANGED);
        Result result = replay("--decisions", log.getParent().toString(), "--policy", changed.toString(), "--json",
                               "--fail-on-change");

        assertEquals(1, result.status, result.out + result.err);
        JsonNode report = JSON.readTree(result.out);
        assertEquals(9, report.get("decisions").intValue());
        assertEquals(4, report.get("unchanged").intValue(), report.toString());   // 3 gpt-4o-mini, the secret
        assertEquals(2, report.at("/allow_to_deny/count").intValue(), report.toString());
        assertEquals(2, report.at("/deny_to_allow/count").intValue(), report.toString());
        assertEquals(1, report.at("/patch_changed/count").intValue(), report.toString());
        assertEquals(0, report.at("/reasons_changed/count").intValue());
        assertEquals(0, report.at("/candidate_error/count").intValue());
        assertEquals(5, report.get("changed").intValue());

        JsonNode denied = report.at("/allow_to_deny/examples/0");
        assertEquals("payments", denied.get("team").asText());
        assertEquals("gpt-4.1", denied.get("model").asText());
        assertTrue(gpt41Ids.contains(denied.get("request_id").asText()), denied.toString());
        assertTrue(denied.get("decision_id").asText().matches("[0-9a-f-]{36}"), denied.toString());
        assertEquals("allow", denied.get("before").asText());
        assertEquals("deny [model_not_allowed]", denied.get("after").asText());
        assertEquals("deny [model_not_allowed]", report.at("/deny_to_allow/examples/0/before").asText());
        assertEquals("gpt-4o", report.at("/deny_to_allow/examples/0/model").asText());
        assertEquals("allow, patch max_tokens=16384", report.at("/patch_changed/examples/0/before").asText());
        assertEquals("allow, patch max_tokens=8192", report.at("/patch_changed/examples/0/after").asText());

        // Cost admitted: settled cost where the request ran, the estimate's maximum for the newly allowed.
        Costs costs = costs();
        assertSameAmount(costs.settled(List.of("gpt-4o-mini", "gpt-4.1")), report.at("/cost_admitted_usd/before"));
        assertSameAmount(costs.settled(List.of("gpt-4o-mini")).add(costs.estimated("gpt-4o")),
                         report.at("/cost_admitted_usd/after"));
        assertTrue(costs.settled(List.of("gpt-4.1")).signum() > 0, "the removed model had cost something");
        assertEquals(2, report.at("/cost_admitted_usd/estimated").intValue());

        Result text = replay("--decisions", log.toString(), "--policy", changed.toString());
        assertEquals(0, text.status, "without --fail-on-change, changes are reported, not failed");
        assertTrue(text.out.contains("allow_to_deny    2"), text.out);
        assertTrue(text.out.contains("5 decisions change."), text.out);
    }

    @Test
    void replaysGzippedArraysAsTheDecisionLogServiceReceivesThemWithADataOverride() throws Exception {
        Path gz = dir.resolve("shipped/batch-1.json.gz");
        Files.createDirectories(gz.getParent());
        try (var out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(("[" + String.join(",", Files.readAllLines(log)) + "]").getBytes(StandardCharsets.UTF_8));
        }
        Path data = Files.writeString(dir.resolve("changed-data.json"), CHANGED);
        Result result = replay("--decisions", gz.getParent().toString(), "--policy", policy.toString(), "--data",
                               data.toString(), "--json");
        assertEquals(0, result.status, result.err);
        JsonNode report = JSON.readTree(result.out);
        assertEquals(2, report.at("/allow_to_deny/count").intValue(), report.toString());
        assertEquals(2, report.at("/deny_to_allow/count").intValue(), report.toString());
        assertTrue(report.get("revision").asText().contains("+data:"), report.toString());
    }

    @Test
    void theJarRunsReplayAsACommandWithTheReportAloneOnStdout() throws Exception {
        Path jar = Project.root().resolve("sidecar/target/llm-sidecar.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: the failsafe phase runs after package");
        Path changed = TestPolicies.copyDefaults(dir.resolve("changed-jar"));
        Files.writeString(changed.resolve("data.json"), CHANGED);
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                             "-jar", jar.toString(), "replay", "--decisions", log.toString(),
                                             "--policy", changed.toString(), "--json", "--fail-on-change")
                .directory(Project.root().resolve("sidecar").toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue(), out);
        assertEquals(5, JSON.readTree(out).get("changed").intValue(), out);
    }

    @Test
    void badArgumentsAndABrokenPolicyExitWithTwo() throws Exception {
        assertEquals(2, replay("--decisions", log.toString()).status);
        assertEquals(2, replay("--policy", policy.toString(), "--decisions", log.toString(), "--bogus").status);
        Path broken = TestPolicies.copyDefaults(dir.resolve("broken"));
        Files.writeString(broken.resolve("decision.rego"), "package sidecar\nthis is not rego\n");
        Result result = replay("--decisions", log.toString(), "--policy", broken.toString());
        assertEquals(2, result.status);
        assertTrue(result.err.contains("does not load"), result.err);
    }

    private static void assertSameAmount(BigDecimal expected, JsonNode actual) {
        assertTrue(actual.isNumber(), actual.toString());
        assertEquals(0, expected.compareTo(actual.decimalValue()), expected + " USD expected, got " + actual);
    }

    private record Result(int status, String out, String err) {
    }

    private static Result replay(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Replay.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Settled and estimated costs by model, read from the recorded events. */
    private record Costs(Map<String, BigDecimal> settledByModel, Map<String, BigDecimal> estimatedByModel) {
        BigDecimal settled(List<String> models) {
            return models.stream().map(m -> settledByModel.getOrDefault(m, BigDecimal.ZERO))
                    .reduce(BigDecimal.ZERO, BigDecimal::add);
        }

        BigDecimal estimated(String model) {
            return estimatedByModel.getOrDefault(model, BigDecimal.ZERO);
        }
    }

    private static Costs costs() throws Exception {
        Map<String, String> modelOf = new HashMap<>();
        Map<String, BigDecimal> estimated = new HashMap<>();
        Map<String, BigDecimal> settled = new HashMap<>();
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            events.add(JSON.readTree(line));
        }
        for (JsonNode e : events) {
            if (e.get("path").asText().equals("sidecar/decision")) {
                String model = e.at("/input/request/model").asText();
                modelOf.put(e.get("decision_id").asText(), model);
                estimated.merge(model, e.at("/input/estimate/max_cost_usd").decimalValue(), BigDecimal::add);
            }
        }
        for (JsonNode e : events) {
            if (e.get("path").asText().equals("sidecar/settlement")) {
                settled.merge(modelOf.get(e.get("decision_id").asText()), e.at("/result/cost_usd").decimalValue(),
                              BigDecimal::add);
            }
        }
        return new Costs(settled, estimated);
    }

    private static void awaitLines(String path, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            long n = Files.readAllLines(log).stream().filter(l -> l.contains("\"path\":\"" + path + "\"")).count();
            if (n >= count) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("fewer than " + count + " " + path + " events in " + log);
    }

    private static void assertStatus(int status, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.body());
    }

    private static String body(String model, String prompt, int maxTokens) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"temperature\":0.7,"
               + "\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }
}
