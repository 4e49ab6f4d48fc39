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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official Anthropic SDKs, Python ({@code anthropic} 2.10.0) and TypeScript ({@code @anthropic-ai/sdk} 1.10.0),
 * run as real processes against a sidecar in front of a stub gateway: create, stream, tool use and count_tokens
 * work, every answer's usage settles exactly into the Redis budget, and the sidecar's refusals reach the app as the
 * SDKs' typed exceptions.
 */
class AnthropicSdkIT {
    static final String MODEL = "claude-sonnet-4-5";
    private static RedisServer redis;
    private GovernedGateway gateway;

    /** One official SDK and its driver script. */
    enum Sdk {
        PYTHON, TYPESCRIPT;

        RealClients.Run run(GovernedGateway gateway, String action, String... prompt) {
            return run(gateway, Duration.ofSeconds(60), action, prompt);
        }

        RealClients.Run run(GovernedGateway gateway, Duration timeout, String action, String... prompt) {
            String[] args = prompt.length == 0 ? new String[] {gateway.anthropicBaseUrl(), MODEL, action}
                    : new String[] {gateway.anthropicBaseUrl(), MODEL, action, prompt[0]};
            return this == PYTHON ? RealClients.python("anthropic_client.py", Map.of(), timeout, args)
                    : RealClients.node("anthropic_client.mjs", Map.of(), timeout, args);
        }

        JsonNode ok(GovernedGateway gateway, String action, String... prompt) {
            RealClients.Run run = run(gateway, action, prompt);
            JsonNode result = run.json();
            assertTrue(result.path("ok").asBoolean(), run.toString());
            return result;
        }
    }

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void createsAMessageAndSettlesItsUsageIncludingPromptCacheTokens(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-cache");

        JsonNode result = sdk.ok(gateway, "create");

        assertEquals("The contract's termination clause requires 30 days' written notice from either party.",
                     result.get("content").get(0).get("text").asText());
        assertEquals(1650, result.get("usage").get("cache_read_input_tokens").asLong(), "usage reaches the app");
        gateway.assertSettled(21 + 188 + 1650 + 64, "input, cache writes, cache reads and output, as reported");
        assertEquals(gateway.stub.messagesTokens(), 21 + 188 + 1650 + 64);
        assertForwardedWithTheSidecarsKey(gateway.stub.requests("/v1/messages").getFirst());
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void streamsThinkingAndTextAndSettlesTheStreamsUsage(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-thinking");

        JsonNode result = sdk.ok(gateway, "stream");

        assertEquals("thinking", result.get("content").get(0).get("type").asText());
        assertTrue(result.get("content").get(0).get("signature").asText().startsWith("EqQBCgIYAhIM"),
                   "the signature the app must send back arrives whole");
        assertEquals("The greatest common divisor of 1071 and 462 is **21**.", result.get("streamed_text").asText());
        assertEquals(312, result.get("usage").get("output_tokens").asLong());
        gateway.assertSettled(48 + 312, "message_start's input plus message_delta's output");
        Recorded forwarded = gateway.stub.requests("/v1/messages").getFirst();
        assertTrue(forwarded.bodyText().contains("\"stream\":true"), forwarded.bodyText());
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void usesAToolOverTwoTurnsAndSettlesBoth(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages(r -> r.bodyText().contains("\"tool_result\"") ? "messages-text"
                : "messages-tool-use");

        JsonNode result = sdk.ok(gateway, "tools", "What is the weather in San Francisco?");

        JsonNode call = result.get("first").get("content").get(1);
        assertEquals("tool_use", call.get("type").asText());
        assertEquals("{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}", call.get("input").toString());
        assertEquals("Hello! How can I help you today?",
                     result.get("second").get("content").get(0).get("text").asText());
        List<Recorded> forwarded = gateway.stub.requests("/v1/messages");
        assertEquals(2, forwarded.size());
        assertTrue(forwarded.get(1).bodyText().contains("\"tool_use_id\":\"toolu_01A09q90qw90lq917835lq9\""),
                   "the tool_use and tool_result blocks went through: " + forwarded.get(1).bodyText());
        gateway.assertSettled(384 + 76 + 12 + 10, "both turns");
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void countsTokensThroughTheGatewayWithoutChargingTheBudget(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-text");

        JsonNode result = sdk.ok(gateway, "count");

        assertEquals(2095, result.get("input_tokens").asLong());
        assertEquals(1, gateway.stub.requests("/v1/messages/count_tokens").size());
        gateway.assertSettled(0, "count_tokens costs nothing");
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void aPromptCarryingAnAwsKeyRaisesPermissionDeniedErrorAndNeverReachesTheGateway(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-text");

        RealClients.Run run = sdk.run(gateway, "create", "Deploy with AKIAIOSFODNN7EXAMPLE please.");

        JsonNode error = run.json();
        assertEquals("PermissionDeniedError", error.path("error").asText(), run.toString());
        assertEquals(403, error.get("status").asInt());
        assertEquals("permission_error", error.get("type").asText());
        assertTrue(error.get("message").asText().contains("AWS access key"), error.toString());
        assertFalse(error.toString().contains("AKIAIOSFODNN7EXAMPLE"), "the refusal does not echo the secret");
        assertNotNull(error.get("request_id").textValue(), "the SDK read the request-id header");
        assertEquals("error", error.get("body").get("type").asText(), "Anthropic's error envelope");
        assertEquals(0, gateway.stub.requestCount(), "refused before the gateway");
        gateway.assertSettled(0, "nothing admitted");
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void anExhaustedBudgetRaisesRateLimitErrorAndForwardsNothingMore(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 2000);
        gateway.stub.servesMessages("messages-cache");
        sdk.ok(gateway, "create");
        gateway.assertSettled(1923, "the first message used most of the budget");

        // Without retries the SDK raises at once; with its two retries after a short backoff it takes a few seconds.
        // A client still waiting after 20 s was told to sleep (Retry-After: the hours to the budget's reset) and
        // would hang the app until then.
        RealClients.Run run = sdk.run(gateway, Duration.ofSeconds(20), "create");

        JsonNode error = run.json();
        assertEquals("RateLimitError", error.path("error").asText(), run.toString());
        assertEquals(429, error.get("status").asInt());
        assertEquals("rate_limit_error", error.get("type").asText());
        assertNotNull(error.get("request_id").textValue());
        assertEquals(1, gateway.stub.requestCount(), "only the first message reached the gateway");
        gateway.assertSettled(1923, "the refused one costs nothing");
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void aQueryParameterBeyondBetaTrueRaisesBadRequestErrorAndIsNotForwarded(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-text");

        RealClients.Run run = sdk.run(gateway, "odd-query");

        JsonNode error = run.json();
        assertEquals("BadRequestError", error.path("error").asText(), run.toString());
        assertEquals(400, error.get("status").asInt());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertEquals(0, gateway.stub.requestCount(), "a gateway could act on a parameter no policy saw");
        gateway.assertSettled(0, "nothing admitted");
    }

    @ParameterizedTest
    @EnumSource(Sdk.class)
    void aGatewayAnswerCutOffMidBodyRaisesAnInternalServerErrorCarryingTheRequestId(Sdk sdk) {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.on("/v1/messages", StubUpstream.cutOff(200, StubUpstream.cassette("messages-text.json"), 100));

        RealClients.Run run = sdk.run(gateway, "create");

        JsonNode error = run.json();
        assertEquals("InternalServerError", error.path("error").asText(), run.toString());
        assertEquals(502, error.get("status").asInt());
        assertEquals("api_error", error.get("type").asText());
        assertNotNull(error.get("request_id").textValue(), "the request-id header, as on every Anthropic-shaped "
                                                           + "error: " + error);
        long attempts = gateway.stub.requestCount();
        assertTrue(attempts >= 1 && attempts <= 3, "the SDK retries a broken answer at most twice: " + attempts);
        assertEquals(0, gateway.settled()[1], "nothing stays reserved");
    }

    /** The gateway sees the sidecar's key, never the app's, and the API version the SDK asked for. */
    static void assertForwardedWithTheSidecarsKey(Recorded forwarded) {
        assertEquals("Bearer " + TestSidecar.KEY, forwarded.header("authorization"));
        assertNull(forwarded.header("x-api-key"), "the app's x-api-key does not cross");
        assertFalse(forwarded.headers().toString().contains("app-own-dummy-key"), forwarded.headers().toString());
        assertNotNull(forwarded.header("anthropic-version"), "anthropic-version is forwarded");
    }
}
