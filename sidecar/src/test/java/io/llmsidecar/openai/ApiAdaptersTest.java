package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each dialect's adapter: the common view it builds, its prompt texts with where they came from, and its refusals. */
class ApiAdaptersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static SidecarException refused(Api api, String body) {
        return assertThrows(SidecarException.class, () -> api.parse(bytes(body)));
    }

    @Test
    void chatTextsComeFromContentsPartsAndToolCallArguments() {
        ApiRequest r = Api.CHAT_COMPLETIONS.parse(bytes("""
                {"model":"gpt-4o-mini","n":3,"max_tokens":100,"messages":[
                  {"role":"system","content":"be brief"},
                  {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"x"}}]},
                  {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\\"q\\":1}"}}]}]}
                """));
        assertEquals(List.of(new PromptText("be brief", "messages[0].content"),
                             new PromptText("part one", "messages[1].content[0]"),
                             new PromptText("{\"q\":1}", "messages[2].tool_calls[0].function.arguments")),
                     r.promptTexts());
        assertEquals(3, r.choices());
        assertEquals(OptionalInt.of(100), r.maxTokens());
        assertEquals(Optional.of("max_tokens"), r.limitField());
        assertEquals("chat.completions", r.api().label());
    }

    @Test
    void chatRefusesAnOutOfRangeN() {
        assertEquals("n", refused(Api.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"n\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").param().orElseThrow());
        assertEquals("integer_above_max_value", refused(Api.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"n\":129,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").code());
    }

    @Test
    void anIntegerBeyondThe32BitRangeIsOutOfRangeNotOfTheWrongType() {
        SidecarException high = refused(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":2147483648,"
                                                              + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals("integer_above_max_value", high.code());
        assertEquals("max_tokens", high.param().orElseThrow());
        SidecarException low = refused(Api.COMPLETIONS, "{\"model\":\"m\",\"prompt\":\"x\","
                                                        + "\"n\":-100000000000000000000}");
        assertEquals("integer_below_min_value", low.code());
        assertEquals("invalid_type", refused(Api.CHAT_COMPLETIONS, "{\"model\":\"m\",\"max_tokens\":1e2,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").code(), "1e2 is not an integer");
    }

    @Test
    void responsesReadsStringInput() {
        ApiRequest r = Api.RESPONSES.parse(bytes("""
                {"model":"gpt-4o-mini","input":"hello","instructions":"be brief","max_output_tokens":50,"stream":true}
                """));
        assertEquals(List.of(new PromptText("be brief", "instructions"), new PromptText("hello", "input")),
                     r.promptTexts());
        assertEquals(OptionalInt.of(50), r.maxTokens());
        assertEquals(Optional.of("max_output_tokens"), r.limitField());
        assertEquals(1, r.choices());
        assertTrue(r.stream());
        assertTrue(r.clientRequestedUsage(), "a Responses stream always carries its usage");
    }

    @Test
    void responsesReadsItemsPartsToolOutputsAndCallArguments() {
        ApiRequest r = Api.RESPONSES.parse(bytes("""
                {"model":"gpt-4o-mini","input":[
                  {"role":"user","content":"plain"},
                  {"type":"message","role":"user","content":[{"type":"input_text","text":"typed"},{"type":"input_image","image_url":"data:x"}]},
                  {"type":"function_call","call_id":"c1","name":"lookup","arguments":"{\\"id\\":7}"},
                  {"type":"function_call_output","call_id":"c1","output":"tool said"},
                  {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"tool part"}]},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"earlier answer"}]}]}
                """));
        assertEquals(List.of(new PromptText("plain", "input[0].content"),
                             new PromptText("typed", "input[1].content[0]"),
                             new PromptText("{\"id\":7}", "input[2].arguments"),
                             new PromptText("tool said", "input[3].output"),
                             new PromptText("tool part", "input[4].output[0]"),
                             new PromptText("earlier answer", "input[5].content[0]")),
                     r.promptTexts());
        assertEquals(OptionalInt.empty(), r.maxTokens());
    }

    @Test
    void responsesRefusesNAndBadInput() {
        assertEquals("n", refused(Api.RESPONSES, "{\"model\":\"m\",\"input\":\"x\",\"n\":2}").param().orElseThrow());
        assertEquals("input", refused(Api.RESPONSES, "{\"model\":\"m\",\"input\":42}").param().orElseThrow());
        assertEquals("input[0]", refused(Api.RESPONSES, "{\"model\":\"m\",\"input\":[\"x\"]}").param().orElseThrow());
        assertEquals("max_output_tokens",
                     refused(Api.RESPONSES, "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":0}").param()
                             .orElseThrow());
    }

    @Test
    void embeddingsReadStringsAndHaveNoCompletion() {
        ApiRequest r = Api.EMBEDDINGS.parse(bytes("{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",\"b\"]}"));
        assertEquals(List.of(new PromptText("a", "input[0]"), new PromptText("b", "input[1]")), r.promptTexts());
        assertEquals(Optional.empty(), r.limitField());
        assertFalse(r.stream());
        assertEquals("input", Api.EMBEDDINGS.parse(bytes("{\"model\":\"m\",\"input\":\"one\"}")).promptTexts()
                .getFirst().where());
    }

    @Test
    void embeddingsRefuseTokenIdsTheyCannotCheck() {
        SidecarException e = refused(Api.EMBEDDINGS, "{\"model\":\"m\",\"input\":[[1,2,3]]}");
        assertEquals("unsupported_input", e.code());
        assertEquals("input[0]", e.param().orElseThrow());
        assertEquals("missing_required_parameter", refused(Api.EMBEDDINGS, "{\"model\":\"m\"}").code());
        assertEquals("stream", refused(Api.EMBEDDINGS, "{\"model\":\"m\",\"input\":\"x\",\"stream\":true}")
                .param().orElseThrow());
    }

    @Test
    void legacyCompletionsCountEveryGeneratedChoice() {
        ApiRequest r = Api.COMPLETIONS.parse(bytes("""
                {"model":"gpt-3.5-turbo-instruct","prompt":["a","b"],"suffix":"end","n":2,"best_of":3,"max_tokens":20,
                 "stream":true,"stream_options":{"include_usage":true}}
                """));
        assertEquals(List.of(new PromptText("a", "prompt[0]"), new PromptText("b", "prompt[1]"),
                             new PromptText("end", "suffix")), r.promptTexts());
        assertEquals(6, r.choices(), "best_of 3 generated for each of 2 prompts");
        assertEquals(OptionalInt.of(20), r.maxTokens());
        assertTrue(r.clientRequestedUsage());
        assertEquals("unsupported_input", refused(Api.COMPLETIONS, "{\"model\":\"m\",\"prompt\":[1,2]}").code());
    }

    @Test
    void patchesGoIntoEachApisLimitField() throws Exception {
        RequestPatch patch = new RequestPatch(Optional.of("gpt-4o"), OptionalInt.of(64));
        JsonNode responses = JSON.readTree(OutgoingBody.write(
                Api.RESPONSES.parse(bytes("{\"model\":\"m\",\"input\":\"x\"}")).withPatch(patch),
                OptionalInt.empty(), false));
        assertEquals(64, responses.get("max_output_tokens").intValue());
        assertEquals("gpt-4o", responses.get("model").asText());
        JsonNode completions = JSON.readTree(OutgoingBody.write(
                Api.COMPLETIONS.parse(bytes("{\"model\":\"m\",\"prompt\":\"x\"}")).withPatch(patch),
                OptionalInt.empty(), false));
        assertEquals(64, completions.get("max_tokens").intValue());
        JsonNode embeddings = JSON.readTree(OutgoingBody.write(
                Api.EMBEDDINGS.parse(bytes("{\"model\":\"m\",\"input\":\"x\"}")).withPatch(patch),
                OptionalInt.empty(), false));
        assertFalse(embeddings.has("max_tokens"), "embeddings take no completion limit");
        assertEquals("gpt-4o", embeddings.get("model").asText());
    }

    @Test
    void outgoingBodyReusesTheCallersBytesWhenNothingChanges() {
        byte[] body = bytes("{\"model\":\"m\",\"input\":\"x\"}");
        assertSame(body, OutgoingBody.write(Api.RESPONSES.parse(body), OptionalInt.empty(), false));
    }

    @Test
    void outgoingBodyWritesTheLimitAndIncludeUsageOnce() throws Exception {
        ApiRequest r = Api.COMPLETIONS.parse(bytes(
                "{\"model\":\"m\",\"prompt\":\"x\",\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1}}"));
        JsonNode sent = JSON.readTree(OutgoingBody.write(r, OptionalInt.of(99), true));
        assertEquals(99, sent.get("max_tokens").intValue());
        assertEquals(JSON.readTree("{\"x\":1,\"include_usage\":true}"), sent.get("stream_options"));
    }
}
