package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static ChatRequest parse(String body) {
        return ChatRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheFieldsTheSidecarActsOn() {
        ChatRequest r = parse("{\"model\":\"gpt-4o-mini\"," + MESSAGES + ",\"max_tokens\":100,\"temperature\":0.5,"
                              + "\"stream\":true,\"user\":\"u1\",\"tools\":[{},{}]}");
        assertEquals("gpt-4o-mini", r.model());
        assertEquals(1, r.messages().size());
        assertEquals(OptionalInt.of(100), r.maxTokens());
        assertEquals(0.5, r.temperature().getAsDouble());
        assertTrue(r.stream());
        assertFalse(r.clientRequestedUsage());
        assertEquals(Optional.of("u1"), r.user());
        assertEquals(2, r.toolsCount());
    }

    @Test
    void eitherLimitFieldAloneIsTheLimit() {
        assertEquals(OptionalInt.of(50), parse("{\"model\":\"m\"," + MESSAGES + ",\"max_completion_tokens\":50}")
                .maxTokens());
        assertEquals(OptionalInt.of(60), parse("{\"model\":\"m\"," + MESSAGES + ",\"max_tokens\":60}").maxTokens());
    }

    @Test
    void nullOptionalFieldsCountAsAbsent() {
        ChatRequest r = parse("{\"model\":\"m\"," + MESSAGES + ",\"max_tokens\":null,\"temperature\":null,"
                              + "\"stream\":null,\"user\":null}");
        assertTrue(r.maxTokens().isEmpty());
        assertTrue(r.temperature().isEmpty());
        assertFalse(r.stream());
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "not json                                                      | invalid_json               | ",
            "''                                                            | invalid_json               | ",
            "[1,2]                                                         | invalid_type               | ",
            "\"text\"                                                      | invalid_type               | ",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}        | missing_required_parameter | model",
            "{\"model\":7,\"messages\":[{\"role\":\"user\"}]}              | invalid_type               | model",
            "{\"model\":\"\",\"messages\":[{\"role\":\"user\"}]}           | invalid_type               | model",
            "{\"model\":\"m\"}                                             | missing_required_parameter | messages",
            "{\"model\":\"m\",\"messages\":{}}                             | invalid_type               | messages",
            "{\"model\":\"m\",\"messages\":[]}                             | empty_array                | messages",
            "{\"model\":\"m\",\"messages\":[\"hi\"]}                       | invalid_type               | messages[0]",
            "{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}          | missing_required_parameter | messages[0].role",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},{\"role\":\"robot\"}]} | invalid_value | messages[1].role",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":0}      | integer_below_min_value | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":1.5}    | invalid_type | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_completion_tokens\":-3} | integer_below_min_value | max_completion_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"temperature\":2.5}   | invalid_value | temperature",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"temperature\":-0.1}  | invalid_value | temperature",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"temperature\":\"hot\"} | invalid_type | temperature",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":\"yes\"}    | invalid_type | stream",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream_options\":1}  | invalid_type | stream_options",
    })
    void rejectsBadInputNamingTheParameter(String body, String code, String param) {
        SidecarException e = assertThrows(SidecarException.class, () -> parse(body));
        assertEquals(400, e.status());
        assertEquals("invalid_request_error", e.type());
        assertEquals(code, e.code());
        assertEquals(Optional.ofNullable(param), e.param());
    }

    @Test
    void acceptsEveryDocumentedRole() {
        for (String role : new String[] {"system", "developer", "user", "assistant", "tool"}) {
            assertEquals(1, parse("{\"model\":\"m\",\"messages\":[{\"role\":\"" + role + "\"}]}").messages().size());
        }
    }

    @Test
    void forwardsTheCallersBytesWhenNothingChanges() {
        byte[] body = ("{\"model\":\"m\", " + MESSAGES + "}").getBytes(StandardCharsets.UTF_8);
        assertSame(body, ChatRequest.parse(body).upstreamBody());
    }

    @Test
    void asksForTheUsageChunkOnStreamsKeepingOtherStreamOptions() throws Exception {
        ChatRequest r = parse("{\"model\":\"m\"," + MESSAGES + ",\"stream\":true,"
                              + "\"stream_options\":{\"include_obfuscation\":false}}");
        JsonNode sent = JSON.readTree(r.upstreamBody());
        assertTrue(sent.at("/stream_options/include_usage").booleanValue());
        assertFalse(sent.at("/stream_options/include_obfuscation").booleanValue());
        assertEquals("m", sent.get("model").asText());
        assertEquals("hi", sent.at("/messages/0/content").asText());
    }

    @Test
    void addsStreamOptionsWhenTheCallerSentNone() throws Exception {
        JsonNode sent = JSON.readTree(parse("{\"model\":\"m\"," + MESSAGES + ",\"stream\":true}").upstreamBody());
        assertTrue(sent.at("/stream_options/include_usage").booleanValue());
    }

    @Test
    void aPatchRewritesModelAndTheLimitFieldTheCallerUsed() throws Exception {
        ChatRequest r = parse("{\"model\":\"gpt-4o\"," + MESSAGES + ",\"max_completion_tokens\":9000}")
                .withPatch(new RequestPatch(Optional.of("gpt-4o-mini"), OptionalInt.of(1000)));
        assertEquals("gpt-4o-mini", r.model());
        assertEquals(OptionalInt.of(1000), r.maxTokens());
        JsonNode sent = JSON.readTree(r.upstreamBody());
        assertEquals("gpt-4o-mini", sent.get("model").asText());
        assertEquals(1000, sent.get("max_completion_tokens").intValue());
        assertFalse(sent.has("max_tokens"));
    }

    @Test
    void aLimitPatchForAReasoningModelUsesTheFieldItAccepts() throws Exception {
        for (String model : new String[] {"o3-mini", "openai/o4-mini", "gpt-5"}) {
            ChatRequest r = parse("{\"model\":\"" + model + "\"," + MESSAGES + "}")
                    .withPatch(new RequestPatch(Optional.empty(), OptionalInt.of(256)));
            JsonNode sent = JSON.readTree(r.upstreamBody());
            assertEquals(256, sent.get("max_completion_tokens").intValue(), model);
            assertFalse(sent.has("max_tokens"), model);
        }
    }

    @Test
    void aLimitPatchOnARequestWithoutOneSetsMaxTokens() throws Exception {
        ChatRequest r = parse("{\"model\":\"m\"," + MESSAGES + "}")
                .withPatch(new RequestPatch(Optional.empty(), OptionalInt.of(256)));
        assertEquals(256, JSON.readTree(r.upstreamBody()).get("max_tokens").intValue());
    }
}
