package io.llmsidecar.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a client IT drives a real client through: a stub gateway, and in front of it a real sidecar for the pod of
 * team {@code payments} with a daily token budget in a real Redis (its own key prefix). The budget counter is read
 * through the admin API, as an operator would.
 */
final class GovernedGateway implements AutoCloseable {
    static final String TEAM_KEY = "team=payments";
    private static final ObjectMapper JSON = new ObjectMapper();

    final StubUpstream stub;
    final TestSidecar sidecar;

    private GovernedGateway(StubUpstream stub, TestSidecar sidecar) {
        this.stub = stub;
        this.sidecar = sidecar;
    }

    static GovernedGateway start(RedisServer redis, long budgetTokens) {
        return start(redis, budgetTokens, Map.of());
    }

    /** As {@link #start(RedisServer, long)} with more sidecar configuration, e.g. another {@code upstream.url}. */
    static GovernedGateway start(RedisServer redis, long budgetTokens, Map<String, String> overrides) {
        StubUpstream stub = StubUpstream.start();
        String yaml = """
                      budgets:
                        - name: team-daily
                          scope: [team]
                          window: day
                          tokens: %d
                      # The model ids the clients send (claude-opus-5-5, Claude Code's default, is not in the
                      # bundled price book) and OpenAiSdkIT's: a list given here replaces the bundled one.
                      pricing:
                        models:
                          - {name: claude-sonnet-4-5, input: 3.00, output: 15.00, cache-read: 0.30, cache-write: 3.75,
                             max-tokens: 64000, context-window: 200000}
                          - {name: claude-opus-5-5, input: 5.00, output: 25.00, cache-read: 0.50, cache-write: 6.25,
                             max-tokens: 128000, context-window: 1000000}
                          - {name: gpt-4o-mini, input: 0.15, output: 0.60, cache-read: 0.075, max-tokens: 16384,
                             context-window: 128000}
                      """.formatted(budgetTokens);
        // A slow test machine must not look like a Redis outage: that would switch on fail-open.
        Map<String, String> config = new HashMap<>(Map.of(
                "budget-store.redis-uri", redis.uri(),
                "budget-store.key-prefix", RedisServer.uniquePrefix(),
                "budget-store.command-timeout", "5s",
                "identity.team", "payments",
                // The real clients send no x-llm-team: the pod's team is the subject, as in production.
                "identity.trust-team-header", "false"));
        config.putAll(overrides);
        TestSidecar sidecar = TestSidecar.start(stub, yaml, config);
        return new GovernedGateway(stub, sidecar);
    }

    /** The base URL the Anthropic clients take ({@code ANTHROPIC_BASE_URL}): they append {@code /v1/...}. */
    String anthropicBaseUrl() {
        return "http://127.0.0.1:" + sidecar.sidecar().port();
    }

    /** The base URL the OpenAI clients take ({@code OPENAI_BASE_URL}). */
    String openAiBaseUrl() {
        return anthropicBaseUrl() + "/v1";
    }

    /**
     * The team's counter once nothing is reserved (settlement runs just after the response ends), as
     * {@code {used_tokens, reserved_tokens}}; zeros when no request ever reserved anything.
     */
    long[] settled() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long[] last = null;
        while (System.nanoTime() < deadline) {
            last = counter();
            if (last[1] == 0) {
                return last;
            }
            sleep();
        }
        throw new AssertionError("the budget never settled: used " + last[0] + ", reserved " + last[1]);
    }

    /** Asserts that the budget holds exactly {@code tokens} used and nothing reserved. */
    void assertSettled(long tokens, String why) {
        long[] counter = settled();
        assertEquals(tokens, counter[0], "used tokens: " + why);
        assertEquals(0, counter[1], "reserved tokens");
    }

    private long[] counter() {
        String body = sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).body();
        try {
            for (JsonNode row : JSON.readTree(body).get("budgets")) {
                if (row.get("budget").asText().equals("team-daily") && row.get("key").asText().equals(TEAM_KEY)) {
                    return new long[] {row.get("used_tokens").asLong(), row.get("reserved_tokens").asLong()};
                }
            }
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
        return new long[] {0, 0};
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        sidecar.close();
        stub.close();
    }
}
