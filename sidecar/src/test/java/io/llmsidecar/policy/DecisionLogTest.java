package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.PromptText;
import io.llmsidecar.openai.RequestPatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void logsTheDecisionAndAHashOfThePromptButNeverThePrompt() throws Exception {
        DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.Stdout(), false));
        PolicyInput input = PolicyFixtures.exampleInput();
        String line = log.line(input, new Decision.Deny(List.of(new Decision.Reason("model_not_allowed", "No.",
                                                                                      "model_allowlist")), "rev1"),
                               false, 41_000, null);

        assertFalse(line.contains("Plan meals"), line);
        assertFalse(line.contains("\n"), "one line per decision");
        JsonNode json = JSON.readTree(line);
        assertEquals("4bf92f3577b34da6", json.get("request_id").asText());
        assertEquals("payments", json.at("/subject/team").asText());
        assertEquals("gpt-4o-mini", json.get("model").asText());
        assertEquals(false, json.get("allow").booleanValue());
        assertEquals("deny", json.get("outcome").asText());
        assertEquals("model_not_allowed", json.at("/reasons/0").asText());
        assertEquals("rev1", json.get("revision").asText());
        assertEquals(41, json.get("eval_us").intValue());
        assertEquals(2, json.at("/messages/count").intValue());
        assertEquals(64, json.at("/messages/sha256").asText().length());
        assertTrue(json.get("shadow") == null);
    }

    @Test
    void logsPatchesShadowDecisionsAndFailOpen() throws Exception {
        DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.Stdout(), false));
        String patched = log.line(PolicyFixtures.exampleInput(),
                                  new Decision.Allow(new RequestPatch(Optional.empty(), OptionalInt.of(100)), "r"),
                                  false, 1000, new Decision.Deny(List.of(), "s"));
        JsonNode json = JSON.readTree(patched);
        assertEquals("patch", json.get("outcome").asText());
        assertEquals(100, json.at("/patch/max_tokens").intValue());
        assertEquals("deny", json.at("/shadow/outcome").asText());
        assertEquals("s", json.at("/shadow/revision").asText());

        JsonNode open = JSON.readTree(log.line(PolicyFixtures.exampleInput(), new Decision.Failed("boom", "r"),
                                               true, 1000, null));
        assertEquals("fail_open", open.get("outcome").asText());
        assertEquals(true, open.get("allow").booleanValue());
        assertEquals("boom", open.get("error").asText());
    }

    @Test
    void includesThePromptOnlyWhenExplicitlyEnabled() throws Exception {
        DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.Stdout(), true));
        JsonNode json = JSON.readTree(log.line(PolicyFixtures.exampleInput(),
                                               new Decision.Allow(RequestPatch.NONE, "r"), false, 1, null));
        assertEquals(PolicyFixtures.EXAMPLE_PROMPT, json.at("/messages/content/1/content").asText());
    }

    @Test
    void appendsLinesToAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs/decisions.jsonl");
        try (DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.File(file), false))) {
            log.record(PolicyFixtures.exampleInput(), new Decision.Allow(RequestPatch.NONE, "r"), false, 1, null);
            log.record(PolicyFixtures.exampleInput(), new Decision.Allow(RequestPatch.NONE, "r"), false, 1, null);
        }
        assertEquals(2, Files.readAllLines(file).size());
    }

    static PolicyConfig config(PolicyConfig.DecisionLogTarget target, boolean contents) {
        return new PolicyConfig(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                Optional.empty(), Optional.empty(), PolicyConfig.FailureMode.FAIL_CLOSED,
                                Duration.ofSeconds(1), 1, Duration.ofSeconds(2), Duration.ofSeconds(30), target,
                                contents, true);
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
    }

    @Test
    void theLineCarriesTheDigestOfTheRequestsPromptTextsAndNeverTheText() throws Exception {
        DecisionLog log = DecisionLog.create(config(new PolicyConfig.DecisionLogTarget.Stdout(), false));
        PolicyInput input = PolicyFixtures.exampleInput();
        String line = log.line(input, new Decision.Deny(List.of(), "r"), false, 1, null);

        var digest = DecisionLog.PromptDigest.of(input.request().promptTexts());
        JsonNode json = JSON.readTree(line);
        assertEquals(digest.sha256(), json.at("/messages/sha256").asText());
        assertEquals(digest.bytes(), json.at("/messages/bytes").longValue());
        for (PromptText text : input.request().promptTexts()) {
            assertFalse(line.contains(text.text()), "prompt text in the decision log");
        }
    }
}
