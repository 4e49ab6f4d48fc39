package io.llmsidecar.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.RealClients;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.StubUpstream.MessagesUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stub gateway's Messages API cassettes are what the real clients accept: the official Python and TypeScript SDKs
 * read each of them, JSON and SSE, straight from the stub (no sidecar), and report the very usage the stub recorded.
 * The client ITs through the sidecar rest on this.
 */
class MessagesCassettesIT {
    private static final List<String> CASSETTES = List.of("messages-text", "messages-tool-use", "messages-thinking",
                                                          "messages-cache");
    private StubUpstream stub;

    @BeforeEach
    void start() {
        stub = StubUpstream.start();
    }

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void thePythonSdkReadsEveryCassetteWithTheUsageTheStubRecorded() {
        assertEveryCassetteRead(run -> RealClients.python("anthropic_client.py", Map.of(), stub.origin(),
                                                          "claude-sonnet-4-5", run));
    }

    @Test
    void theTypeScriptSdkReadsEveryCassetteWithTheUsageTheStubRecorded() {
        assertEveryCassetteRead(run -> RealClients.node("anthropic_client.mjs", Map.of(), stub.origin(),
                                                        "claude-sonnet-4-5", run));
    }

    /** One client process asks for each cassette twice, plain then streamed; the stub serves them in that order. */
    private void assertEveryCassetteRead(Function<String, RealClients.Run> client) {
        AtomicInteger answered = new AtomicInteger();
        stub.servesMessages(request -> CASSETTES.get(answered.getAndIncrement() / 2));
        List<String> actions = new ArrayList<>();
        CASSETTES.forEach(c -> actions.addAll(List.of("create", "stream")));

        RealClients.Run run = client.apply(String.join(",", actions));

        List<JsonNode> results = run.jsonLines();
        assertEquals(actions.size(), results.size(), run.toString());
        List<MessagesUsage> sent = stub.messagesUsage();
        for (int i = 0; i < results.size(); i++) {
            assertSameMessage(CASSETTES.get(i / 2), actions.get(i), results.get(i), sent.get(i));
        }
    }

    @Test
    void bothSdksCountTokensFromTheStub() {
        stub.servesMessages("messages-text");

        assertEquals(2095, RealClients.python("anthropic_client.py", Map.of(), stub.origin(), "claude-sonnet-4-5",
                                              "count").json().get("input_tokens").asLong());
        assertEquals(2095, RealClients.node("anthropic_client.mjs", Map.of(), stub.origin(), "claude-sonnet-4-5",
                                            "count").json().get("input_tokens").asLong());
        assertEquals(List.of(), stub.messagesUsage(), "count_tokens reports no usage to bill");
    }

    private static void assertSameMessage(String cassette, String action, JsonNode result, MessagesUsage last) {
        String what = cassette + " " + action + ": " + result;
        assertTrue(result.path("ok").asBoolean(), what);
        JsonNode usage = result.get("usage");
        assertEquals(last, new MessagesUsage(usage.get("input_tokens").asLong(), usage.get("output_tokens").asLong(),
                                             usage.get("cache_creation_input_tokens").asLong(),
                                             usage.get("cache_read_input_tokens").asLong()), what);
        assertEquals(StubUpstream.usage(readJson(StubUpstream.cassette(cassette + ".json")).get("usage")), last,
                     "the JSON and SSE cassettes of " + cassette + " report the same usage");
        JsonNode content = result.get("content");
        switch (cassette) {
            case "messages-tool-use" -> {
                assertEquals("tool_use", result.get("stop_reason").asText(), what);
                JsonNode call = content.get(1);
                assertEquals("get_weather", call.get("name").asText(), what);
                assertEquals("{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}", call.get("input").toString(),
                             "the streamed input_json_delta pieces make the same input: " + what);
            }
            case "messages-thinking" -> {
                assertEquals("thinking", content.get(0).get("type").asText(), what);
                assertTrue(content.get(0).get("thinking").asText().endsWith("So the GCD is 21."), what);
                assertTrue(content.get(0).get("signature").asText().startsWith("EqQBCgIYAhIM"), what);
                assertEquals("The greatest common divisor of 1071 and 462 is **21**.",
                             content.get(1).get("text").asText(), what);
            }
            default -> assertEquals("text", content.get(0).get("type").asText(), what);
        }
        if (action.equals("stream")) {
            StringBuilder text = new StringBuilder();
            content.forEach(block -> text.append(block.path("text").asText("")));
            assertEquals(text.toString(), result.get("streamed_text").asText(), what);
        }
    }

    private static JsonNode readJson(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }
}
