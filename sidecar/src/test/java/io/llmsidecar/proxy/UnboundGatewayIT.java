package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static io.llmsidecar.testing.StubUpstream.events;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Unbound gateway's answers as documented today: the bare model id without its provider prefix
 * ({@code anthropic/claude-sonnet-4-20250514} answers as {@code claude-sonnet-4-20250514}), a top-level
 * {@code provider}, and {@code object: "chat_completion"} for non-OpenAI providers. They are relayed unchanged, and
 * pricing, budgets and metrics key on the model the app REQUESTED, with exact figures from the price table
 * (application.yaml: 3.00 input, 15.00 output, 0.30 cache-read USD per million tokens).
 */
class UnboundGatewayIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "anthropic/claude-sonnet-4-20250514";
    private static final String BODY = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
                                       + "\"content\":\"Help me plan meals for the week.\"}]}";
    private static final String BUDGETS = """
            budgets:
              - name: team-model
                scope: [team, model]
                window: day
                tokens: 1000000
                usd: 50
            """;

    private static StubUpstream upstream;
    private static TestSidecar sidecar;

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, BUDGETS, Map.of());
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    @Test
    void aJsonAnswerNamingTheBareModelIsRelayedAsIsAndBilledUnderTheRequestedModel() {
        upstream.otherwise(StubUpstream.json(200, cassette("unbound-chat-completion.json")));

        HttpResponse<String> response = sidecar.chat(BODY, "x-llm-team", "unbound-json");

        assertEquals(200, response.statusCode());
        assertEquals(cassette("unbound-chat-completion.json"), response.body());
        // 9 uncached x 3.00 + 12 cached x 0.30 + 245 x 15.00 USD per million = 3,705,600 nano-USD
        assertBilled("unbound-json", 21, 245, 12, 3_705_600);
    }

    @Test
    void aStreamNamingTheBareModelIsRelayedAndBilledUnderTheRequestedModel() {
        List<String> all = events(cassette("unbound-chat-completion.sse"));
        upstream.otherwise(StubUpstream.sse(all, Duration.ZERO));

        HttpResponse<String> response = sidecar.chat(BODY.replace("{\"model\"", "{\"stream\":true,\"model\""),
                                                     "x-llm-team", "unbound-stream");

        assertEquals(200, response.statusCode());
        List<String> withoutUsageChunk = new java.util.ArrayList<>(all);
        withoutUsageChunk.remove(all.size() - 2);
        assertEquals(String.join("", withoutUsageChunk), response.body(), "the app did not ask for usage");
        // 9 uncached x 3.00 + 12 cached x 0.30 + 9 x 15.00 USD per million = 165,600 nano-USD
        assertBilled("unbound-stream", 21, 9, 12, 165_600);
    }

    @Test
    void aStreamAskingForUsageGetsTheGatewaysChunksUnchanged() {
        String sse = cassette("unbound-chat-completion.sse");
        upstream.otherwise(StubUpstream.sse(events(sse), Duration.ZERO));

        HttpResponse<String> response = sidecar.chat(
                BODY.replace("{\"model\"", "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"model\""),
                "x-llm-team", "unbound-usage");

        assertEquals(sse, response.body());
        assertBilled("unbound-usage", 21, 9, 12, 165_600);
    }

    private static void assertBilled(String team, long prompt, long completion, long cached, long costNanos) {
        JsonNode row = settled("team=" + team + ",model=anthropic%2Fclaude-sonnet-4-20250514");
        assertEquals(prompt + completion, row.get("used_tokens").asLong(), row.toString());
        assertEquals(BigDecimal.valueOf(costNanos, 9).stripTrailingZeros(),
                     row.get("used_usd").decimalValue().stripTrailingZeros(), row.toString());

        String m = sidecar.metricsContaining("llm_sidecar_cost_usd_total{model=\"" + MODEL + "\",team=\"" + team);
        assertEquals(prompt, value(m, tokens(team, "prompt")));
        assertEquals(completion, value(m, tokens(team, "completion")));
        assertEquals(cached, value(m, tokens(team, "cached")));
        assertEquals(costNanos / 1e9, value(m, "llm_sidecar_cost_usd_total{model=\"" + MODEL + "\",team=\"" + team
                                               + "\",}"));
        assertTrue(value(m, "llm_sidecar_requests_total{model=\"" + MODEL + "\",outcome=\"allowed\","
                            + "status=\"200\",}") >= 1, "counted under the requested model, allowed");
        assertFalse(m.contains("model=\"claude-sonnet-4-20250514\""), "the answered model is no label: " + m);
        assertFalse(m.contains("team=\"" + team + "\",type=\"prompt\",usage_source=\"estimated\""), m);
    }

    private static String tokens(String team, String type) {
        return "llm_sidecar_tokens_total{model=\"" + MODEL + "\",team=\"" + team + "\",type=\"" + type
               + "\",usage_source=\"gateway\",}";
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in:\n" + metrics);
        }
        return Double.parseDouble(m.group(1));
    }

    private static JsonNode settled(String key) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            body = sidecar.send(sidecar.adminRequest("/admin/budgets").GET().build()).body();
            try {
                for (JsonNode row : JSON.readTree(body).get("budgets")) {
                    if (row.get("key").asText().equals(key) && row.get("reserved_tokens").asLong() == 0) {
                        return row;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        throw new AssertionError(key + " never settled: " + body);
    }
}
