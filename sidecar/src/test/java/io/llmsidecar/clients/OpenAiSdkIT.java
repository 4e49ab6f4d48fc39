package io.llmsidecar.clients;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.RealClients;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.StubUpstream.Recorded;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Python SDK ({@code openai} 3.63.0) through the same sidecar the Anthropic clients use: a chat
 * completion, plain and streamed, settles exactly, and the app's key never crosses (the Messages API changed how the
 * sidecar handles credentials headers, so the OpenAI side is checked with its real client too).
 */
class OpenAiSdkIT {
    private static RedisServer redis;
    private GovernedGateway gateway;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void start() {
        gateway = GovernedGateway.start(redis, 1_000_000);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void aChatCompletionSettlesItsReportedUsage() {
        gateway.stub.on("/v1/chat/completions", StubUpstream.json(200, cassette("chat-completion.json")));

        JsonNode result = run("create");

        assertEquals("Here's a balanced meal plan for the week...", result.get("text").asText());
        assertEquals(260, result.get("usage").get("total_tokens").asLong());
        gateway.assertSettled(15 + 245, "prompt plus completion tokens, as reported");
        assertForwardedWithTheSidecarsKey(gateway.stub.requests("/v1/chat/completions").getFirst());
    }

    @Test
    void aStreamedChatCompletionSettlesItsUsageChunk() {
        gateway.stub.on("/v1/chat/completions", StubUpstream.sse(StubUpstream.events(cassette("chat-completion.sse")),
                                                                 java.time.Duration.ZERO));

        JsonNode result = run("stream");

        assertFalse(result.get("text").asText().isEmpty(), result.toString());
        assertEquals(37, result.get("usage").get("total_tokens").asLong());
        gateway.assertSettled(17 + 20, "the usage chunk's prompt plus completion tokens");
        Recorded forwarded = gateway.stub.requests("/v1/chat/completions").getFirst();
        assertTrue(forwarded.bodyText().contains("\"include_usage\":true"), forwarded.bodyText());
        assertForwardedWithTheSidecarsKey(forwarded);
    }

    private JsonNode run(String action) {
        RealClients.Run run = RealClients.python("openai_client.py", Map.of(), gateway.openAiBaseUrl(),
                                                 "gpt-4o-mini", action);
        JsonNode result = run.json();
        assertTrue(result.path("ok").asBoolean(), run.toString());
        return result;
    }

    private static void assertForwardedWithTheSidecarsKey(Recorded forwarded) {
        assertEquals("Bearer " + TestSidecar.KEY, forwarded.header("authorization"));
        assertNull(forwarded.header("x-api-key"));
        assertFalse(forwarded.headers().toString().contains("app-own-dummy-key"), forwarded.headers().toString());
    }
}
