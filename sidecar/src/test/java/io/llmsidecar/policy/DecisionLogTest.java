package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.PromptText;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.openai.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DecisionLabels LABELS = new DecisionLabels("6f1c", "1.2.3", "checkout-7d9f8c-x2k4q", "shop");
    private static final DecisionEvents EVENTS = new DecisionEvents(LABELS);
    private static final Instant AT = Instant.parse("2026-01-05T12:30:00.412Z");

    private static JsonNode decision(PolicyInput input, Decision decision, boolean failedOpen, Decision shadow)
            throws Exception {
        String event = EVENTS.decision(input, input.jsonBytes(false), decision, failedOpen, 41_000, shadow, AT);
        assertFalse(event.contains("\n"), "one line per event");
        return JSON.readTree(event);
    }

    @Test
    void writesADenialInOpasDecisionLogShape() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        JsonNode event = decision(input, new Decision.Deny(List.of(new Decision.Reason(
                "model_not_allowed", "No.", "model_allowlist")), "rev1"), false, null);

        assertEquals(input.decisionId(), event.get("decision_id").asText());
        assertTrue(event.get("decision_id").asText().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                                              + "[0-9a-f]{12}"), event.toString());
        assertEquals("sidecar/decision", event.get("path").asText());
        assertEquals(JSON.readTree(input.json(false)), event.get("input"), "the input as evaluated");
        assertEquals(false, event.at("/result/allow").booleanValue());
        assertEquals("model_not_allowed", event.at("/result/reasons/0/code").asText());
        assertEquals("model_allowlist", event.at("/result/reasons/0/policy").asText());
        assertEquals("rev1", event.at("/bundles/sidecar/revision").asText());
        assertEquals(JSON.readTree("{\"id\":\"6f1c\",\"version\":\"1.2.3\",\"pod\":\"checkout-7d9f8c-x2k4q\","
                                   + "\"namespace\":\"shop\"}"), event.get("labels"));
        assertEquals("2026-01-05T12:30:00.412Z", event.get("timestamp").asText());
        assertEquals(41_000, event.at("/metrics/timer_rego_query_eval_ns").longValue());
        assertEquals("4bf92f3577b34da6", event.at("/custom/request_id").asText());
        assertEquals("deny", event.at("/custom/outcome").asText());
        assertEquals(2, event.at("/custom/prompt/count").intValue());
        assertEquals(64, event.at("/custom/prompt/sha256").asText().length());
        assertNull(event.get("error"));
        assertTrue(event.at("/custom/shadow").isMissingNode());
    }

    @Test
    void theRecordedResultReadsBackAsTheSameDecision() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        List<Decision> decisions = List.of(
                new Decision.Allow(new RequestPatch(Optional.of("gpt-4o-mini"), OptionalInt.of(100)), "r",
                                   List.of(new Decision.Reason("pii_in_prompt", "PII.", "findings"))),
                new Decision.Allow(RequestPatch.NONE, "r"),
                new Decision.Deny(List.of(new Decision.Reason("a", "A.", "p"), new Decision.Reason("b", "B.", "")),
                                  "r"));
        for (Decision d : decisions) {
            JsonNode event = decision(input, d, false, null);
            assertEquals(d, DecisionParser.parse("[{\"result\":" + event.get("result") + "}]", "r"));
        }
    }

    @Test
    void neverWritesPromptTextUnlessThePolicyEvaluatedIt() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        String without = EVENTS.decision(input, input.jsonBytes(false), new Decision.Allow(RequestPatch.NONE, "r"), false,
                                         1, null, AT);
        for (PromptText text : input.request().promptTexts()) {
            assertFalse(without.contains(text.text()), "prompt text in the decision log: " + without);
        }
        String with = EVENTS.decision(input, input.jsonBytes(true), new Decision.Allow(RequestPatch.NONE, "r"), false, 1,
                                      null, AT);
        assertEquals(PolicyFixtures.EXAMPLE_PROMPT,
                     JSON.readTree(with).at("/input/request/messages/1/content").asText(),
                     "a policy with config.input.include_text evaluated the text, and its event holds it");
    }

    /** The input's bytes are copied into the event as they are: text beyond ASCII must come out as it went in. */
    @Test
    void promptTextInAnyScriptComesOutOfTheEventAsItWentIn() throws Exception {
        String prompt = "Caf\u00e9 \u65e5\u672c\u8a9e \ud83d\ude00 \u2028 and \u00ff";
        ChatRequest request = PolicyFixtures.request(PolicyFixtures.body("gpt-4o-mini", prompt));
        PolicyInput input = PolicyInput.of("r-1", request, PolicyFixtures.SUBJECT, PolicyFixtures.estimate(9, 16),
                                           List.of(), AT);
        String event = EVENTS.decision(input, input.jsonBytes(true), new Decision.Allow(RequestPatch.NONE, "r"),
                                       false, 1, null, AT);
        assertFalse(event.contains("\n"), "one line per event");
        JsonNode parsed = JSON.readTree(event);
        assertEquals(prompt, parsed.at("/input/request/messages/1/content").asText());
        assertEquals(JSON.readTree(input.json(true)), parsed.get("input"));
        assertEquals("allow", parsed.at("/custom/outcome").asText(), "the fields after the input are intact");
    }

    @Test
    void writesShadowDecisionsAndFailures() throws Exception {
        JsonNode patched = decision(PolicyFixtures.exampleInput(),
                                    new Decision.Allow(new RequestPatch(Optional.empty(), OptionalInt.of(100)), "r"),
                                    false, new Decision.Deny(List.of(new Decision.Reason("no", "No.", "s")), "s"));
        assertEquals("patch", patched.at("/custom/outcome").asText());
        assertEquals(100, patched.at("/result/patch/max_tokens").intValue());
        assertEquals(false, patched.at("/custom/shadow/result/allow").booleanValue());
        assertEquals("no", patched.at("/custom/shadow/result/reasons/0/code").asText());
        assertEquals("s", patched.at("/custom/shadow/bundles/sidecar/revision").asText());

        JsonNode open = decision(PolicyFixtures.exampleInput(), new Decision.Failed("boom", "r"), true, null);
        assertEquals("fail_open", open.at("/custom/outcome").asText());
        assertTrue(open.get("result") == null, "OPA writes no result for an error");
        assertEquals("boom", open.at("/error/message").asText());
    }

    @Test
    void writesASettlementWithTokensByKindCostAndPriceBookRevision() throws Exception {
        Settlement settlement = new Settlement("d-1", "req-1", "messages", "claude-sonnet-4",
                                               "anthropic/claude-sonnet-4",
                                               PolicyFixtures.SUBJECT, new Usage(1200, 300, 1000, 150,
                                                                                 Usage.Source.GATEWAY),
                                               1_234_567, "9c1a2b3c4d5e", 200, "ok");
        JsonNode event = JSON.readTree(EVENTS.settlement(settlement, AT));
        assertEquals("d-1", event.get("decision_id").asText());
        assertEquals("sidecar/settlement", event.get("path").asText());
        assertEquals(JSON.readTree("{\"input\":50,\"cached\":1000,\"cache_write\":150,\"output\":300,"
                                   + "\"prompt_total\":1200,\"total\":1500}"), event.at("/result/tokens"));
        assertEquals("0.001234567", event.at("/result/cost_usd").decimalValue().toPlainString());
        assertEquals("9c1a2b3c4d5e", event.at("/result/price_book_revision").asText());
        assertEquals("gateway", event.at("/result/usage_source").asText());
        assertEquals("payments", event.at("/result/subject/team").asText());
        assertEquals("shop", event.at("/labels/namespace").asText());
    }

    @Test
    void appendsEventsToAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs/decisions.jsonl");
        PolicyInput input = PolicyFixtures.exampleInput();
        try (DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.File(file)), LABELS,
                                                  new SidecarMetrics("test"))) {
            log.record(input, false, new Decision.Allow(RequestPatch.NONE, "r"), false, 1, null);
            log.record(input, false, new Decision.Allow(RequestPatch.NONE, "r"), false, 1, null);
        }
        assertEquals(2, Files.readAllLines(file).size());
    }

    static PolicyConfig config(PolicyConfig.DecisionLogTarget target) {
        return new PolicyConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                Optional.empty(), Optional.empty(), PolicyConfig.FailureMode.FAIL_CLOSED,
                                Duration.ofSeconds(1), 1, Duration.ofSeconds(2), Duration.ofSeconds(30), target,
                                false, true);
    }

    @Test
    void hashesThePromptTextsWithTheirPlacesAndCountsTheirUtf8Bytes() {
        var same = DecisionLog.PromptDigest.of(List.of(new PromptText("héllo", "messages[0].content"),
                                                       new PromptText("world", "messages[1].content")));
        assertEquals(same, DecisionLog.PromptDigest.of(List.of(new PromptText("héllo", "messages[0].content"),
                                                               new PromptText("world", "messages[1].content"))));
        assertEquals(11, same.bytes(), "UTF-8 bytes of the texts, not of their places");
        assertEquals(64, same.sha256().length());

        var shifted = DecisionLog.PromptDigest.of(List.of(new PromptText("héllow", "messages[0].content"),
                                                          new PromptText("orld", "messages[1].content")));
        var moved = DecisionLog.PromptDigest.of(List.of(new PromptText("héllo", "messages[0].content"),
                                                        new PromptText("world", "messages[2].content")));
        assertFalse(same.sha256().equals(shifted.sha256()), "a character moved between texts changes the hash");
        assertFalse(same.sha256().equals(moved.sha256()), "a text moved to another place changes the hash");
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                     DecisionLog.PromptDigest.of(List.of()).sha256(), "no text: the SHA-256 of nothing");
        // Pinned, so that logs written by earlier versions keep comparing: each place, then each text, as a 4-byte
        // big-endian UTF-8 length and the UTF-8 bytes (Python: hashlib.sha256 over struct.pack('>i', n) + bytes).
        assertEquals("6df9adf72a34b9f613fe6988eef4f115c824ad220a663dc58fb15704fecd7254",
                     DecisionLog.PromptDigest.of(List.of(new PromptText("héllo", "messages[0].content"),
                                                         new PromptText("wörld", "messages[1].content"))).sha256());
    }

    @Test
    void theEventCarriesTheDigestOfTheRequestsPromptTexts() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        JsonNode event = decision(input, new Decision.Deny(List.of(), "r"), false, null);
        var digest = DecisionLog.PromptDigest.of(input.request().promptTexts());
        assertEquals(digest.sha256(), event.at("/custom/prompt/sha256").asText());
        assertEquals(digest.bytes(), event.at("/custom/prompt/bytes").longValue());
    }
}
