package io.llmsidecar.openai;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MessagesRequestTest {
    private static MessagesRequest parse(String json) {
        return MessagesRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> wheres(ApiRequest request) {
        return request.promptTexts().stream().map(PromptText::where).toList();
    }

    private static List<String> scanned(ApiRequest request) {
        return request.scannedTexts().stream().map(PromptText::text).toList();
    }

    @Test
    void readsEveryTextTheModelReads() {
        MessagesRequest r = parse("""
                {"model":"claude-sonnet-4-5","max_tokens":1024,
                 "system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],
                 "messages":[
                  {"role":"user","content":"Plan meals."},
                  {"role":"assistant","content":[
                    {"type":"thinking","thinking":"Think first.","signature":"EqQBCkgIARABGAIiQL2"},
                    {"type":"text","text":"Calling a tool."},
                    {"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"kcal"}}]},
                  {"role":"user","content":[
                    {"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"2000 kcal"}]},
                    {"type":"tool_result","tool_use_id":"toolu_2","content":"plain result"},
                    {"type":"document","source":{"type":"text","media_type":"text/plain","data":"A doc."}}]}],
                 "metadata":{"user_id":"alice"},"stream":true}""");
        assertEquals(Api.MESSAGES, r.api());
        assertEquals("claude-sonnet-4-5", r.model());
        assertEquals(OptionalInt.of(1024), r.maxTokens());
        assertTrue(r.stream());
        assertEquals("alice", r.user().orElseThrow());
        assertEquals(List.of("system[0].text", "messages[0].content", "messages[1].content[0].thinking",
                             "messages[1].content[1].text", "messages[1].content[2].input",
                             "messages[2].content[0].content[0].text", "messages[2].content[1].content",
                             "messages[2].content[2].source.data"), wheres(r));
        assertEquals("{\"q\":\"kcal\"}", r.promptTexts().get(4).text());
        assertTrue(r.writesPromptCache(), "a cache_control on a system block asks for caching");
        assertFalse(parse("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                            .writesPromptCache());
        assertTrue(parse("{\"model\":\"m\",\"max_tokens\":1,\"cache_control\":{\"type\":\"ephemeral\"},"
                         + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").writesPromptCache());
    }

    @Test
    void skipsMediaPayloadsAndSignaturesButScansToolDefinitions() {
        String base64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
                        + "AAAABJRU5ErkJggg";
        MessagesRequest r = parse("""
                {"model":"claude-sonnet-4-5","max_tokens":16,
                 "tools":[{"name":"lookup","description":"Looks things up","input_schema":{"type":"object"}}],
                 "messages":[{"role":"user","content":[
                   {"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}},
                   {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"%s"}},
                   {"type":"thinking","thinking":"t","signature":"sig-%s"},
                   {"type":"redacted_thinking","data":"redacted-%s"},
                   {"type":"text","text":"What is this?"}]}]}""".formatted(base64, base64, base64, base64));
        List<String> texts = scanned(r);
        assertTrue(texts.contains("Looks things up"), texts.toString());
        assertTrue(texts.contains("What is this?"));
        assertFalse(texts.stream().anyMatch(t -> t.contains(base64)), texts.toString());
    }

    @Test
    void acceptsBlockTypesItDoesNotKnowAndScansTheirStrings() {
        MessagesRequest r = parse("""
                {"model":"m","max_tokens":16,"messages":[{"role":"user","content":[
                  {"type":"search_result","source":"https://x","title":"T","content":[{"type":"text","text":"found"}]},
                  {"type":"mcp_tool_result","tool_use_id":"x","content":"hidden AKIAIOSFODNN7EXAMPLE"}]}]}""");
        assertTrue(scanned(r).stream().anyMatch(t -> t.contains("AKIAIOSFODNN7EXAMPLE")));
    }

    @Test
    void acceptsSystemMessagesAsClaudeCodeSendsThem() {
        MessagesRequest r = parse("""
                {"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"},
                 {"role":"system","content":[{"type":"text","text":"# Environment"}]}]}""");
        assertEquals(2, r.promptTexts().size());
    }

    @Test
    void requiresMaxTokensButNotOnCountTokens() {
        SidecarException e = assertThrows(SidecarException.class,
                () -> parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertEquals("max_tokens", e.param().orElseThrow());
        MessagesRequest count = MessagesRequest.parseCountTokens(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(Api.MESSAGES_COUNT_TOKENS, count.api());
        SidecarException limited = assertThrows(SidecarException.class, () -> MessagesRequest.parseCountTokens(
                "{\"model\":\"m\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals("max_tokens", limited.param().orElseThrow());
        assertTrue(count.limitField().isEmpty());
        assertFalse(count.stream());
    }

    @Test
    void refusesBadShapesNamingTheField() {
        record Case(String body, String param) {
        }
        for (Case c : List.of(
                new Case("{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                         "max_tokens"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}", "messages"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
                         "messages[0].role"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\"}]}",
                         "messages[0].content"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[1]}]}",
                         "messages[0].content[0]"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{}]}]}",
                         "messages[0].content[0].type"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"system\":5,"
                         + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                         "system"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"thinking\":{\"type\":\"enabled\"},"
                         + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "thinking.budget_tokens"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"max_tokens_to_sample\":99999,"
                         + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens_to_sample"),
                new Case("{\"model\":\"m\",\"max_tokens\":1,\"metadata\":{\"user_id\":7},"
                         + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "user_id"))) {
            SidecarException e = assertThrows(SidecarException.class, () -> parse(c.body()), c.body());
            assertEquals(400, e.status());
            assertEquals(c.param(), e.param().orElse(null), c.body());
        }
    }

    @Test
    void refusesADuplicateMaxTokensSoTheGatewayCannotReadAnotherLimit() {
        SidecarException e = assertThrows(SidecarException.class, () -> parse(
                "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"max_tokens\":60000}"));
        assertEquals("invalid_json", e.code());
    }

    @Test
    void aClampBelowTheThinkingBudgetLowersTheBudgetWithIt() {
        MessagesRequest r = parse("""
                {"model":"claude-sonnet-4-5","max_tokens":32000,
                 "thinking":{"type":"enabled","budget_tokens":31999},
                 "messages":[{"role":"user","content":"hi"}]}""");
        MessagesRequest patched = r.withPatch(new RequestPatch(java.util.Optional.empty(), OptionalInt.of(16384)));
        assertEquals(16384, patched.json().get("max_tokens").intValue());
        assertEquals(16383, patched.json().get("thinking").get("budget_tokens").intValue());
        assertEquals(31999, r.json().get("thinking").get("budget_tokens").intValue(), "the original is untouched");
        assertTrue(patched.rewritten());
    }
}
