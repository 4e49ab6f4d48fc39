package io.llmsidecar.clients;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.RealClients;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream.Recorded;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Claude Code ({@code @anthropic-ai/claude-code} 2.1.328) in print mode and the Claude Agent SDK
 * ({@code @anthropic-ai/claude-agent-sdk} 0.3.337, running the Claude Code it bundles) as a background agent in a
 * pod would run them: {@code ANTHROPIC_BASE_URL} at the sidecar, offline, one run each. Their streamed answer's usage
 * settles exactly into the Redis budget, and a prompt carrying an AWS key never reaches the gateway.
 */
class ClaudeCodeIT {
    /** Claude Code's and the Agent SDK's own default model: what a pod that sets none runs. */
    static final String DEFAULT_MODEL = "claude-opus-5-5";
    static final String HELLO = "Hello! How can I help you today?";
    private static RedisServer redis;
    private GovernedGateway gateway;
    @TempDir
    Path temp;
    private Path home;
    private Path work;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void start() throws IOException {
        gateway = GovernedGateway.start(redis, 1_000_000);
        gateway.stub.servesMessages("messages-text");
        home = Files.createDirectory(temp.resolve("home"));
        work = Files.createDirectory(temp.resolve("work"));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void claudeCodeInPrintModeAnswersThroughTheSidecarAndSettlesExactly() {
        RealClients.Run run = claude("Say hello.");

        JsonNode result = run.json();
        assertEquals(0, run.exitCode(), run.toString());
        assertFalse(result.get("is_error").asBoolean(), run.toString());
        assertEquals(HELLO, result.get("result").asText());
        List<Recorded> forwarded = gateway.stub.requests("/v1/messages");
        assertEquals(1, forwarded.size(), "print mode makes one call: " + gateway.stub.requests());
        assertClaudeCodeRequest(forwarded.getFirst(), "claude-cli/2.1.328");
        gateway.assertSettled(12 + 10, "the stream's message_start input plus message_delta output");
    }

    @Test
    void claudeCodeIsRefusedAPromptCarryingAnAwsKeyBeforeTheGateway() {
        RealClients.Run run = claude("Deploy with AKIAIOSFODNN7EXAMPLE please.");

        JsonNode result = run.json();
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(result.get("is_error").asBoolean(), run.toString());
        assertEquals(403, result.get("api_error_status").asInt(), run.toString());
        assertTrue(result.get("result").asText().contains("AWS access key"), "the sidecar's reason reaches the user: "
                                                                            + result.get("result"));
        assertEquals(0, gateway.stub.requestCount(), "refused before the gateway");
        gateway.assertSettled(0, "nothing admitted");
    }

    @Test
    void theAgentSdkRunsOneQueryThroughTheSidecarAndSettlesExactly() {
        RealClients.Run run = agentQuery("Say hello.");

        assertTrue(run.json().get("error").isNull(), run.toString());
        JsonNode result = run.json().get("result");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("success", result.get("subtype").asText(), run.toString());
        assertFalse(result.get("is_error").asBoolean(), run.toString());
        assertEquals(HELLO, result.get("result").asText());
        List<Recorded> forwarded = gateway.stub.requests("/v1/messages");
        assertEquals(1, forwarded.size(), "one turn: " + gateway.stub.requests());
        assertClaudeCodeRequest(forwarded.getFirst(), "agent-sdk/0.3.337");
        gateway.assertSettled(12 + 10, "the stream's message_start input plus message_delta output");
    }

    @Test
    void theAgentSdkIsRefusedAPromptCarryingAnAwsKeyBeforeTheGateway() {
        RealClients.Run run = agentQuery("Deploy with AKIAIOSFODNN7EXAMPLE please.");

        JsonNode result = run.json().get("result");
        assertTrue(result.get("is_error").asBoolean(), run.toString());
        assertEquals(403, result.get("api_error_status").asInt(), run.toString());
        assertTrue(run.json().get("error").asText().contains("AWS access key"), "the query fails with the sidecar's "
                                                                               + "reason: " + run);
        assertEquals(0, gateway.stub.requestCount(), "refused before the gateway");
        gateway.assertSettled(0, "nothing admitted");
    }

    private RealClients.Run claude(String prompt) {
        List<String> command = List.of(RealClients.claude().toString(), "-p", prompt, "--output-format", "json");
        return RealClients.run(command, RealClients.claudeCodeEnv(gateway.anthropicBaseUrl(), home), work,
                               Duration.ofSeconds(90));
    }

    private RealClients.Run agentQuery(String prompt) {
        RealClients.nodeProject();
        List<String> command = List.of(RealClients.node(), RealClients.script("agent_query.mjs"), "", prompt,
                                       work.toString());
        return RealClients.run(command, RealClients.claudeCodeEnv(gateway.anthropicBaseUrl(), home), work,
                               Duration.ofSeconds(90));
    }

    /**
     * What Claude Code sends crosses as it must: its {@code ?beta=true}, {@code anthropic-beta},
     * {@code anthropic-version} and session id, with the sidecar's key in place of the app's.
     */
    private static void assertClaudeCodeRequest(Recorded forwarded, String userAgent) {
        assertEquals("beta=true", forwarded.query());
        String body = forwarded.bodyText();
        assertTrue(body.contains("\"model\":\"" + DEFAULT_MODEL + "\""), body.substring(0, 200));
        // Claude Code puts its environment block in a message of role "system" (Messages API SystemMessageParam,
        // beta per-turn-control-2026-07-01). When that first attempt is refused it silently tries again with the
        // block folded into the user message; this proves the first attempt went through as sent.
        assertTrue(body.contains("{\"role\":\"system\",\"content\":["), "Claude Code's first attempt crossed as "
                                                                         + "sent, its system-role message included");
        assertNotNull(forwarded.header("anthropic-beta"), "anthropic-beta is forwarded");
        assertTrue(forwarded.header("anthropic-beta").contains("claude-code-20250219"), forwarded.headers().toString());
        assertEquals("2023-06-01", forwarded.header("anthropic-version"));
        assertNotNull(forwarded.header("x-claude-code-session-id"), forwarded.headers().toString());
        assertTrue(String.valueOf(forwarded.header("user-agent")).contains(userAgent), forwarded.headers().toString());
        AnthropicSdkIT.assertForwardedWithTheSidecarsKey(forwarded);
        assertTrue(body.contains("\"stream\":true"), "Claude Code streams");
    }
}
