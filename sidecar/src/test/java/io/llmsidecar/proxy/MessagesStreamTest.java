package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anthropic Messages streams and answers, from recorded cassettes: usage, text, ends, and the cut-off ending. */
class MessagesStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<StreamInspector.Verdict> inspectAll(StreamInspector inspector, String sse) {
        return StubUpstream.events(sse).stream().map(event -> {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            return inspector.inspect(bytes, 0, bytes.length);
        }).toList();
    }

    @Test
    void usageIsTheFinalMessageDeltaOverTheInputOfMessageStart() {
        StreamInspector inspector = new StreamInspector(Api.MESSAGES);
        List<StreamInspector.Verdict> verdicts = inspectAll(inspector, cassette("messages-text.sse"));
        assertEquals(new Usage(12, 10, 0, 0, Usage.Source.GATEWAY), inspector.usage());
        assertTrue(inspector.finished());
        assertEquals(List.of("end_turn"), inspector.state().finishReasons(), "message_delta's stop_reason");
        assertTrue(verdicts.stream().allMatch(v -> v == StreamInspector.Verdict.FORWARD), "nothing hidden");
    }

    @Test
    void cacheReadsAndWritesAreInputToo() {
        StreamInspector inspector = new StreamInspector(Api.MESSAGES);
        inspectAll(inspector, cassette("messages-cache.sse"));
        Usage usage = inspector.usage();
        assertEquals(21 + 188 + 1650, usage.promptTokens());
        assertEquals(1650, usage.cachedPromptTokens());
        assertEquals(188, usage.cacheWriteTokens());
        assertEquals(21, usage.uncachedPromptTokens());
        assertEquals(64, usage.completionTokens());
        assertEquals(usage, Api.MESSAGES.dialect().usage(cassette("messages-cache.json")
                                                                 .getBytes(StandardCharsets.UTF_8)).orElseThrow());
    }

    @Test
    void toolCallsAndThinkingAreGeneratedText() {
        StreamInspector tools = new StreamInspector(Api.MESSAGES);
        inspectAll(tools, cassette("messages-tool-use.sse"));
        assertTrue(tools.generatedText().contains("San Francisco for you."));
        assertTrue(tools.generatedText().contains("isco, CA"), "input_json_delta fragments count");
        assertEquals(76, tools.usage().completionTokens());
        StreamInspector thinking = new StreamInspector(Api.MESSAGES);
        inspectAll(thinking, cassette("messages-thinking.sse"));
        assertTrue(thinking.generatedText().startsWith("I need to find the GCD"));
        assertTrue(thinking.generatedText().endsWith("is **21**."));
        assertEquals(312, thinking.usage().completionTokens());
        String json = Api.MESSAGES.dialect().generatedText(cassette("messages-tool-use.json")
                                                                  .getBytes(StandardCharsets.UTF_8));
        assertTrue(json.contains("San Francisco"), json);
    }

    @Test
    void aStreamBrokenBeforeMessageDeltaKnowsOnlyItsInput() {
        List<String> events = StubUpstream.events(cassette("messages-cache.sse"));
        StreamInspector inspector = new StreamInspector(Api.MESSAGES);
        for (String event : events.subList(0, 4)) {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            inspector.inspect(bytes, 0, bytes.length);
        }
        assertFalse(inspector.finished());
        assertNull(inspector.usage());
        Usage input = inspector.state().partialUsage();
        assertEquals(21 + 188 + 1650, input.promptTokens());
        assertEquals(1650, input.cachedPromptTokens());
    }

    @Test
    void cutOffAtTheLimitEndsLikeAnthropicWithTheSidecarsCount() throws Exception {
        StreamInspector inspector = new StreamInspector(Api.MESSAGES, 3, String::length,
                s -> new Usage(s.partialUsage().promptTokens(), s.generatedTokens(), 0, Usage.Source.ESTIMATED),
                true);
        // As the relay does: nothing after the event that crossed the limit is read.
        boolean crossed = false;
        for (String event : StubUpstream.events(cassette("messages-text.sse"))) {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            if (inspector.inspect(bytes, 0, bytes.length) == StreamInspector.Verdict.OVER_LIMIT) {
                crossed = true;
                break;
            }
        }
        assertTrue(crossed);
        List<JsonNode> ending = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String event : StubUpstream.events(new String(inspector.cutOffEnding(), StandardCharsets.UTF_8))) {
            names.add(event.lines().findFirst().orElseThrow());
            ending.add(JSON.readTree(event.lines().filter(l -> l.startsWith("data: ")).findFirst().orElseThrow()
                                             .substring(6)));
        }
        assertEquals(List.of("event: content_block_stop", "event: message_delta", "event: message_stop"), names);
        assertEquals(0, ending.get(0).get("index").intValue());
        assertEquals("max_tokens", ending.get(1).get("delta").get("stop_reason").asText());
        assertEquals(12, ending.get(1).get("usage").get("input_tokens").intValue());
        assertTrue(ending.get(1).get("usage").get("output_tokens").intValue() > 3);
    }

    @Test
    void anErrorEventIsTheGatewaysOwnEnd() {
        StreamInspector inspector = new StreamInspector(Api.MESSAGES);
        inspectAll(inspector, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                              + "\"message\":\"Overloaded\"}}\n\n");
        assertTrue(inspector.upstreamError());
        assertTrue(inspector.finished());
    }

    @Test
    void countingTokensIsFree() {
        assertEquals(0, Api.MESSAGES_COUNT_TOKENS.dialect().usage(cassette("messages-count-tokens.json")
                                                                        .getBytes(StandardCharsets.UTF_8))
                .orElseThrow().totalTokens());
        assertFalse(Api.MESSAGES_COUNT_TOKENS.billable());
        assertFalse(Api.MESSAGES_COUNT_TOKENS.streams());
    }
}
