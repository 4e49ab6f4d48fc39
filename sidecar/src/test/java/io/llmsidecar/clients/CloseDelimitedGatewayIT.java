package io.llmsidecar.clients;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.CloseDelimitedUpstream;
import io.llmsidecar.testing.RealClients;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway that ends its stream by closing the connection (legal HTTP/1.1 framing, found when the real clients
 * first ran through the sidecar against a Python capture server): the whole stream reaches the app and its
 * reported usage is billed exactly, not dropped as an error.
 */
class CloseDelimitedGatewayIT {
    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void aMessagesStreamEndedByConnectionCloseReachesThePythonSdkAndSettlesItsReportedUsage() {
        String sse = cassette("messages-cache.sse");
        try (CloseDelimitedUpstream upstream = CloseDelimitedUpstream.start("text/event-stream", sse);
             GovernedGateway gateway = GovernedGateway.start(redis, 1_000_000,
                                                             Map.of("upstream.url", upstream.baseUrl()))) {
            RealClients.Run run = RealClients.python("anthropic_client.py", Map.of(), gateway.anthropicBaseUrl(),
                                                     AnthropicSdkIT.MODEL, "stream");

            JsonNode result = run.json();
            assertTrue(result.path("ok").asBoolean(), run.toString());
            assertEquals(1, upstream.requestCount());
            String metrics = gateway.sidecar.metrics();
            assertTrue(metrics.contains("outcome=\"allowed\""), "an answered stream is allowed: " + metrics);
            assertFalse(metrics.contains("outcome=\"error\""), "an answered stream is not an error");
            gateway.assertSettled(StubUpstream.streamUsage(sse).totalTokens(), "what the gateway reported");
        }
    }

    @Test
    void aMessageAnswerEndedByConnectionCloseReachesThePythonSdkAndSettlesItsReportedUsage() {
        String json = cassette("messages-cache.json");
        try (CloseDelimitedUpstream upstream = CloseDelimitedUpstream.start("application/json", json);
             GovernedGateway gateway = GovernedGateway.start(redis, 1_000_000,
                                                             Map.of("upstream.url", upstream.baseUrl()))) {
            RealClients.Run run = RealClients.python("anthropic_client.py", Map.of(), gateway.anthropicBaseUrl(),
                                                     AnthropicSdkIT.MODEL, "create");

            JsonNode result = run.json();
            assertTrue(result.path("ok").asBoolean(), run.toString());
            gateway.assertSettled(21 + 188 + 1650 + 64, "what the gateway reported");
        }
    }

    @Test
    void aChatStreamEndedByConnectionCloseReachesTheOpenAiSdkAndSettlesItsReportedUsage() {
        String sse = cassette("chat-completion.sse");
        try (CloseDelimitedUpstream upstream = CloseDelimitedUpstream.start("text/event-stream", sse);
             GovernedGateway gateway = GovernedGateway.start(redis, 1_000_000,
                                                             Map.of("upstream.url", upstream.baseUrl()))) {
            RealClients.Run run = RealClients.python("openai_client.py", Map.of(), gateway.openAiBaseUrl(),
                                                     "gpt-4o-mini", "stream");

            JsonNode result = run.json();
            assertTrue(result.path("ok").asBoolean(), run.toString());
            assertEquals(37, result.get("usage").get("total_tokens").asLong());
            gateway.assertSettled(17 + 20, "what the gateway reported");
        }
    }
}
