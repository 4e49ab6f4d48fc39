package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Usage and generated text from the streams of every API, and how each is cut off at its limit. */
class StreamInspectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<StreamInspector.Verdict> inspectAll(StreamInspector inspector, String sse) {
        return StubUpstream.events(sse).stream().map(event -> {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            return inspector.inspect(bytes, 0, bytes.length);
        }).toList();
    }

    /** Chat chunks of ASCII, accented, CJK and emoji deltas, then the usage chunk and [DONE]. */
    private static List<byte[]> chatEvents(List<String> deltas) {
        var events = new java.util.ArrayList<byte[]>();
        for (String delta : deltas) {
            String json = "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                          + JSON.getNodeFactory().textNode(delta) + "}}]}";
            events.add(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
        events.add("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9}}\n\n"
                           .getBytes(StandardCharsets.UTF_8));
        events.add("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        return events;
    }

    @Test
    void theLimitCutsAtTheSameEventAsCountingEveryDeltaOnArrival() {
        List<String> deltas = List.of("Hello", " wörld", ", ", "这是", "🙂🙂", " and", " more", "ß", " text",
                                      "!");
        // A counter that can give a fragment as many tokens as it has UTF-8 bytes (its upper bound): one per char,
        // three per char above U+07FF. The eager sum over the deltas decides where each limit must cut.
        java.util.function.ToLongFunction<String> counter =
                t -> t.chars().map(c -> c >= 0x800 ? 3 : 1).sum();
        for (long limit = 0; limit <= 60; limit++) {
            long eager = 0;
            int expectedCut = -1;
            for (int i = 0; i < deltas.size(); i++) {
                eager += counter.applyAsLong(deltas.get(i));
                if (eager > limit) {
                    expectedCut = i;
                    break;
                }
            }
            StreamInspector inspector = new StreamInspector(Api.CHAT_COMPLETIONS, limit, counter);
            List<byte[]> events = chatEvents(deltas);
            int cut = -1;
            for (int i = 0; i < events.size(); i++) {
                byte[] e = events.get(i);
                if (inspector.inspect(e, 0, e.length) == StreamInspector.Verdict.OVER_LIMIT) {
                    cut = i;
                    break;
                }
            }
            assertEquals(expectedCut, cut, "limit " + limit);
            if (cut >= 0) {
                assertTrue(inspector.state().generatedTokens() > limit);
            }
        }
    }

    @Test
    void aStreamFarBelowItsLimitIsNeverTokenizedWhileRelayed() {
        var calls = new java.util.concurrent.atomic.AtomicInteger();
        StreamInspector inspector = new StreamInspector(Api.CHAT_COMPLETIONS, 1_000, t -> {
            calls.incrementAndGet();
            return t.length();
        });
        for (byte[] e : chatEvents(List.of("one", " two", " three"))) {
            assertTrue(inspector.inspect(e, 0, e.length) != StreamInspector.Verdict.OVER_LIMIT);
        }
        assertEquals(0, calls.get(), "the gateway's usage arrived; nothing needed counting");
        assertEquals(3 + 4 + 6, inspector.state().generatedTokens(), "counted when asked, fragment by fragment");
        assertEquals(3, calls.get());
    }

    /**
     * The JSON of an event is read from its {@code data:} line to the event's end, not to the line's end: whatever
     * follows the object (CRLF, another field, a second data line) is never read, and an object cut at the line's end
     * is still not read as whole. {@code [DONE]} ends the stream only alone on its line.
     */
    @Test
    void anEventIsReadUpToItsObjectWhateverFollowsIt() {
        StreamInspector inspector = new StreamInspector(Api.CHAT_COMPLETIONS);
        List<String> events = List.of(
                "event: chunk\r\ndata: {\"id\":\"c1\",\"created\":7,\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"Hel\"}}]}\r\nid: 1\r\n\r\n",
                "data: {\"id\":\"c2\",\"created\":8,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}"
                + "\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"unread\"}}]}\n\n",
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\n"
                + "data: \"split across lines\"}}]}\n\n",
                "data: [DONE]x\n\n",
                "data: [DONE] \n\n");
        for (String event : events) {
            byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
            assertEquals(StreamInspector.Verdict.FORWARD, inspector.inspect(bytes, 0, bytes.length), event);
        }
        assertEquals("Hello", inspector.generatedText(), "the first object of each event, nothing after it");
        assertEquals(7, inspector.state().created(), "the first event's, not parsed again from later ones");
        assertTrue(!inspector.done(), "[DONE] with anything after it on its line is not the end");
        byte[] usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(StreamInspector.Verdict.USAGE_ONLY, inspector.inspect(usage, 0, usage.length));
        assertEquals(new Usage(3, 2, 0, Usage.Source.GATEWAY), inspector.usage());
        byte[] done = "data: [DONE]\r\n\r\n".getBytes(StandardCharsets.UTF_8);
        inspector.inspect(done, 0, done.length);
        assertTrue(inspector.done());
        byte[] doneAtEnd = "data: [DONE]".getBytes(StandardCharsets.UTF_8);
        StreamInspector cut = new StreamInspector(Api.CHAT_COMPLETIONS);
        cut.inspect(doneAtEnd, 0, doneAtEnd.length);
        assertTrue(cut.done(), "a [DONE] the gateway closed the connection after, with no line end");
    }

    @Test
    void responsesUsageComesFromResponseCompleted() {
        StreamInspector inspector = new StreamInspector(Api.RESPONSES);
        List<StreamInspector.Verdict> verdicts = inspectAll(inspector, cassette("responses.sse"));
        assertEquals(new Usage(37, 11, 0, Usage.Source.GATEWAY), inspector.usage());
        assertEquals("Hi there!", inspector.generatedText(), "deltas only, not the .done event's full text again");
        assertEquals(List.of("completed"), inspector.state().finishReasons(), "the terminal status, not in_progress");
        assertTrue(verdicts.stream().allMatch(v -> v == StreamInspector.Verdict.FORWARD),
                   "response.completed is the app's own event, never hidden");
    }

    @Test
    void legacyCompletionsTextAndTheUsageChunk() {
        StreamInspector inspector = new StreamInspector(Api.COMPLETIONS);
        List<StreamInspector.Verdict> verdicts = inspectAll(inspector, cassette("completions.sse"));
        assertEquals(new Usage(5, 7, 0, Usage.Source.GATEWAY), inspector.usage());
        assertEquals("This is a test.", inspector.generatedText());
        assertEquals(List.of("stop"), inspector.state().finishReasons());
        assertEquals(StreamInspector.Verdict.USAGE_ONLY, verdicts.get(2));
    }

    @Test
    void aResponsesStreamIsCutOffWithResponseIncomplete() throws Exception {
        StreamInspector inspector = new StreamInspector(Api.RESPONSES, 1, text -> text.length());
        List<StreamInspector.Verdict> verdicts = inspectAll(inspector, cassette("responses.sse"));
        assertTrue(verdicts.contains(StreamInspector.Verdict.OVER_LIMIT));
        String ending = new String(inspector.cutOffEnding(), StandardCharsets.UTF_8);
        assertTrue(ending.startsWith("event: response.incomplete\ndata: "), ending);
        JsonNode data = JSON.readTree(ending.substring(ending.indexOf("data: ") + 6));
        assertEquals("incomplete", data.at("/response/status").asText());
        assertEquals("max_output_tokens", data.at("/response/incomplete_details/reason").asText());
        assertEquals("resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654", data.at("/response/id").asText());
    }

    @Test
    void aLegacyCompletionStreamIsCutOffWithTextCompletionChunks() throws Exception {
        StreamInspector inspector = new StreamInspector(Api.COMPLETIONS, 1, text -> text.length());
        inspectAll(inspector, cassette("completions.sse"));
        String ending = new String(inspector.cutOffEnding(), StandardCharsets.UTF_8);
        assertTrue(ending.endsWith("data: [DONE]\n\n"), ending);
        JsonNode chunk = JSON.readTree(ending.substring(6, ending.indexOf("\n\n")));
        assertEquals("text_completion", chunk.get("object").asText());
        assertEquals("length", chunk.at("/choices/0/finish_reason").asText());
        assertEquals("", chunk.at("/choices/0/text").asText());
    }
}
