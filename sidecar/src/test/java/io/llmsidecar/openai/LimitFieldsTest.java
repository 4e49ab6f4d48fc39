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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One completion limit per body, in the API's own field: anything a gateway could read as another limit is refused,
 * and so are the request shapes whose cost the sidecar could not settle.
 */
class LimitFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT =
            "\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final String RESPONSES = "\"model\":\"gpt-4o-mini\",\"input\":\"hi\"";
    private static final String COMPLETIONS = "\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"hi\"";
    private static final String EMBEDDINGS = "\"model\":\"text-embedding-3-small\",\"input\":\"hi\"";
    private static final String MESSAGES =
            "\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static SidecarException refused(Api api, String fields) {
        return assertThrows(SidecarException.class,
                            () -> api.parse(("{" + fields + "}").getBytes(StandardCharsets.UTF_8)));
    }

    private static ApiRequest parse(Api api, String fields) {
        return api.parse(("{" + fields + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void bothChatLimitFieldsAreRefusedAsOpenAIRefusesThem() {
        SidecarException e = refused(Api.CHAT_COMPLETIONS, CHAT + ",\"max_completion_tokens\":5,\"max_tokens\":60000");
        assertEquals(400, e.status());
        assertEquals("invalid_request_error", e.type());
        assertEquals("invalid_parameter_combination", e.code());
        assertEquals(Optional.of("max_tokens"), e.param());
        assertTrue(e.getMessage().startsWith("Setting 'max_tokens' and 'max_completion_tokens' at the same time is "
                                             + "not supported."), e.getMessage());
        assertEquals(ErrorKind.INVALID, e.kind());
    }

    @Test
    void bothChatLimitFieldsAreRefusedWhateverTheOrderAndEvenWhenOneIsNull() {
        for (String limits : new String[] {",\"max_tokens\":60000,\"max_completion_tokens\":5",
                                           ",\"max_completion_tokens\":5,\"max_tokens\":null",
                                           ",\"max_completion_tokens\":null,\"max_tokens\":5",
                                           ",\"max_tokens\":5,\"max_completion_tokens\":5"}) {
            assertEquals("invalid_parameter_combination", refused(Api.CHAT_COMPLETIONS, CHAT + limits).code(), limits);
        }
    }

    @ParameterizedTest(name = "{0} refuses {1}")
    @CsvSource({
            "CHAT_COMPLETIONS, max_output_tokens", "CHAT_COMPLETIONS, max_tokens_to_sample",
            "CHAT_COMPLETIONS, max_new_tokens", "CHAT_COMPLETIONS, maxOutputTokens", "CHAT_COMPLETIONS, maxTokens",
            "RESPONSES, max_tokens", "RESPONSES, max_completion_tokens", "RESPONSES, maxOutputTokens",
            "COMPLETIONS, max_completion_tokens", "COMPLETIONS, max_output_tokens", "COMPLETIONS, max_new_tokens",
            "EMBEDDINGS, max_tokens", "EMBEDDINGS, max_completion_tokens", "EMBEDDINGS, max_output_tokens",
            "MESSAGES, max_tokens_to_sample", "MESSAGES, max_output_tokens", "MESSAGES, max_completion_tokens",
            "MESSAGES_COUNT_TOKENS, max_tokens", "MESSAGES_COUNT_TOKENS, max_tokens_to_sample",
    })
    void anotherApisLimitFieldIsRefusedNamingIt(Api api, String field) {
        String own = switch (api) {
            case CHAT_COMPLETIONS -> CHAT + ",\"max_completion_tokens\":5";
            case RESPONSES -> RESPONSES + ",\"max_output_tokens\":5";
            case COMPLETIONS -> COMPLETIONS + ",\"max_tokens\":5";
            case EMBEDDINGS -> EMBEDDINGS;
            case MESSAGES -> MESSAGES + ",\"max_tokens\":5";
            case MESSAGES_COUNT_TOKENS -> MESSAGES;
        };
        for (String value : new String[] {"60000", "null"}) {
            SidecarException e = refused(api, own + ",\"" + field + "\":" + value);
            assertEquals("unsupported_parameter", e.code(), field + "=" + value);
            assertEquals(Optional.of(field), e.param());
            assertTrue(e.getMessage().contains("'" + field + "' is not the completion limit"), e.getMessage());
        }
        // Without its own limit field, the alias alone is refused just the same: the gateway would read it alone.
        assertEquals("unsupported_parameter", refused(api, switch (api) {
            case CHAT_COMPLETIONS -> CHAT;
            case RESPONSES -> RESPONSES;
            case COMPLETIONS -> COMPLETIONS;
            case EMBEDDINGS -> EMBEDDINGS;
            case MESSAGES, MESSAGES_COUNT_TOKENS -> MESSAGES;
        } + ",\"" + field + "\":60000").code());
    }

    @Test
    void eachApisOwnLimitFieldIsReadAndLimitsInNestedObjectsAreNotTopLevelLimits() {
        assertEquals(OptionalInt.of(7), parse(Api.RESPONSES, RESPONSES + ",\"max_output_tokens\":7").maxTokens());
        assertEquals(OptionalInt.of(8), parse(Api.COMPLETIONS, COMPLETIONS + ",\"max_tokens\":8").maxTokens());
        // A field of that name inside metadata or a tool's schema is data, not a limit.
        assertEquals(OptionalInt.of(9), parse(Api.CHAT_COMPLETIONS,
                CHAT + ",\"max_tokens\":9,\"metadata\":{\"max_completion_tokens\":\"1\"}").maxTokens());
    }

    @Test
    void aLimitPatchWritesTheOneFieldTheBodyHasAndNoOther() throws Exception {
        RequestPatch ceiling = new RequestPatch(Optional.empty(), OptionalInt.of(100));
        for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
            ApiRequest patched = parse(Api.CHAT_COMPLETIONS, CHAT + ",\"" + field + "\":60000").withPatch(ceiling);
            JsonNode sent = JSON.readTree(OutgoingBody.write(patched, OptionalInt.empty(), false));
            assertEquals(100, sent.get(field).intValue(), field);
            for (String other : LimitFields.KNOWN) {
                assertEquals(other.equals(field), sent.has(other), field + " patched, " + other + " present?");
            }
            assertEquals(OptionalInt.of(100), patched.maxTokens());
        }
    }

    @Test
    void aBackgroundResponseIsRefusedSayingWhy() {
        SidecarException e = refused(Api.RESPONSES, RESPONSES + ",\"background\":true");
        assertEquals(400, e.status());
        assertEquals("unsupported_value", e.code());
        assertEquals(Optional.of("background"), e.param());
        assertTrue(e.getMessage().contains("GET /v1/responses/{id}"), e.getMessage());
        assertEquals("invalid_type", refused(Api.RESPONSES, RESPONSES + ",\"background\":\"true\"").code());
        assertFalse(parse(Api.RESPONSES, RESPONSES + ",\"background\":false").stream());
        parse(Api.RESPONSES, RESPONSES + ",\"background\":null");
    }

    @Test
    void aPriorityServiceTierIsRefusedBecauseBudgetsCannotPriceIt() {
        for (Api api : new Api[] {Api.CHAT_COMPLETIONS, Api.RESPONSES}) {
            String fields = api == Api.RESPONSES ? RESPONSES : CHAT;
            SidecarException e = refused(api, fields + ",\"service_tier\":\"priority\"");
            assertEquals("unsupported_value", e.code());
            assertEquals(Optional.of("service_tier"), e.param());
            for (String tier : new String[] {"auto", "default", "flex", "scale"}) {
                parse(api, fields + ",\"service_tier\":\"" + tier + "\"");
            }
        }
    }

    @Test
    void shapesWithServerSideContextAreAccepted() {
        // Server-side context the estimate cannot see: allowed (see docs/SECURITY.md), its prompt settled from usage.
        parse(Api.RESPONSES, RESPONSES + ",\"previous_response_id\":\"resp_1\",\"store\":true");
        parse(Api.RESPONSES, RESPONSES + ",\"conversation\":\"conv_1\"");
        parse(Api.RESPONSES, "\"model\":\"gpt-4o-mini\",\"prompt\":{\"id\":\"pmpt_1\",\"variables\":{\"a\":\"b\"}}");
        parse(Api.CHAT_COMPLETIONS, CHAT + ",\"store\":true,\"modalities\":[\"text\",\"audio\"],"
                                    + "\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"}");
    }
}
