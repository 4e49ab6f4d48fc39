package io.llmsidecar.openai;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bodies two parsers could read differently are refused by every dialect. */
class StrictJsonTest {
    private static SidecarException refused(Api api, String body) {
        return assertThrows(SidecarException.class, () -> api.parse(body.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void refusesATopLevelDuplicateKeyNamingIt(Api api) {
        SidecarException e = refused(api, "{\"model\":\"gpt-4o-mini\",\"input\":\"x\",\"prompt\":\"x\","
                                          + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                          + "\"model\":\"anthropic/claude-opus\"}");
        assertEquals(400, e.status());
        assertEquals("invalid_json", e.code());
        assertTrue(e.getMessage().contains("'model'"), e.getMessage());
    }

    @Test
    void refusesANestedDuplicateKey() {
        SidecarException e = refused(Api.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"content\":\"AKIAIOSFODNN7EXAMPLE\"}]}");
        assertEquals("invalid_json", e.code());
        assertTrue(e.getMessage().contains("'content'"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Api.class)
    void refusesTrailingData(Api api) {
        SidecarException e = refused(api, "{\"model\":\"m\",\"input\":\"x\"} {\"model\":\"other\"}");
        assertEquals("invalid_json", e.code());
        assertTrue(e.getMessage().contains("after its JSON value"), e.getMessage());
    }

    @Test
    void refusesADuplicateKeySpelledWithEscapes() {
        // Another parser decodes "mod\u0065l" to "model" too: two spellings of one key are still two values.
        SidecarException e = refused(Api.CHAT_COMPLETIONS, "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":"
                                                           + "\"user\",\"content\":\"x\"}],"
                                                           + "\"mod\\u0065l\":\"anthropic/claude-opus\"}");
        assertEquals("invalid_json", e.code());
        assertTrue(e.getMessage().contains("'model'"), e.getMessage());
    }

    @Test
    void refusesUtf16AndAByteOrderMark() {
        byte[] utf16 = "{\"model\":\"m\",\"input\":\"x\"}".getBytes(StandardCharsets.UTF_16LE);
        assertEquals("invalid_json", assertThrows(SidecarException.class, () -> Api.RESPONSES.parse(utf16)).code());
        byte[] bom = ("\uFEFF{\"model\":\"m\",\"input\":\"x\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals("invalid_json", assertThrows(SidecarException.class, () -> Api.RESPONSES.parse(bom)).code());
    }

    @Test
    void refusesANonObjectAndAnEmptyBody() {
        assertEquals("invalid_type", refused(Api.EMBEDDINGS, "[1]").code());
        assertEquals("invalid_json", refused(Api.EMBEDDINGS, "  ").code());
    }
}
