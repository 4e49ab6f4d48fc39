package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every governed API settles its budget from the gateway's own usage, exactly: the Responses API from its JSON and
 * from the {@code response.completed} event of a stream, embeddings from {@code usage.prompt_tokens}, legacy
 * completions from the usage chunk the sidecar asked for (and hides). A request's {@code n} choices are all
 * reserved.
 */
class ApiUsageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = "admin-secret-for-tests";
    private static final String BUDGET = """
            budgets:
              - name: team-daily
                scope: [team]
                window: day
                tokens: %d
            """;

    private StubUpstream upstream;
    private TestSidecar sidecar;

    @BeforeEach
    void start() {
        upstream = StubUpstream.start();
    }

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        upstream.close();
    }

    private TestSidecar sidecar(long tokens) {
        // A gateway without a default completion limit (upstream.default-max-tokens 0): a request without one may
        // run to the model's maximum, the case where n multiplies the most.
        sidecar = TestSidecar.start(upstream, BUDGET.formatted(tokens),
                                    Map.of("identity.team", "payments", "admin.token", ADMIN_TOKEN,
                                           "upstream.default-max-tokens", "0"));
        return sidecar;
    }

    private HttpResponse<String> post(String path, String body) {
        return sidecar.send(HttpRequest.newBuilder(sidecar.url(path))
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** The team's counter once nothing is reserved any more (settling runs after the last byte reaches the app). */
    private JsonNode settled() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode row = null;
        while (System.nanoTime() < deadline) {
            String body = sidecar.send(HttpRequest.newBuilder(sidecar.adminUrl("/admin/budgets"))
                                               .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build()).body();
            for (JsonNode r : read(body).path("budgets")) {
                if (r.get("key").asText().equals("team=payments")) {
                    row = r;
                }
            }
            if (row != null && row.get("reserved_tokens").asLong() == 0 && row.get("used_tokens").asLong() > 0) {
                return row;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the counter never settled: " + row);
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void responsesJsonSettlesItsInputAndOutputTokens() throws Exception {
        upstream.on("/v1/responses", StubUpstream.json(200, cassette("responses.json")));
        sidecar(1_000_000);

        HttpResponse<String> response = post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"instructions\":\"be brief\",\"input\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"input_text\",\"text\":\"Plan meals for the week.\"}]}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(cassette("responses.json"), response.body());
        assertEquals(123, settled().get("used_tokens").asLong(), "36 input + 87 output, as the gateway reported");
        JsonNode forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertEquals(16384, forwarded.get("max_output_tokens").asInt(), "the reserved limit in the API's own field");
        assertFalse(forwarded.has("max_tokens"));
        sidecar.metricsContaining("llm_sidecar_tokens_total{model=\"gpt-4o-mini\",team=\"payments\",type=\"prompt\","
                                  + "usage_source=\"gateway\",} 36.0");
    }

    @Test
    void responsesStreamSettlesFromResponseCompleted() throws Exception {
        upstream.on("/v1/responses", StubUpstream.sse(StubUpstream.events(cassette("responses.sse")), Duration.ZERO));
        sidecar(1_000_000);

        HttpResponse<String> response = post("/v1/responses",
                "{\"model\":\"gpt-4o-mini\",\"input\":\"Say hi\",\"max_output_tokens\":100,\"stream\":true}");

        assertEquals(200, response.statusCode());
        assertEquals(cassette("responses.sse"), response.body(), "the app gets the stream as the gateway sent it");
        assertEquals(48, settled().get("used_tokens").asLong(), "37 input + 11 output from response.completed");
        JsonNode forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertFalse(forwarded.has("stream_options"), "the Responses API reports usage without being asked");
        assertEquals(100, forwarded.get("max_output_tokens").asInt());
    }

    @Test
    void embeddingsSettleExactlyTheirPromptTokens() throws Exception {
        upstream.on("/v1/embeddings", StubUpstream.json(200, cassette("embeddings.json")));
        sidecar(1_000_000);
        String body = "{\"model\":\"text-embedding-3-small\",\"input\":[\"hello world\",\"meal plan\"]}";

        HttpResponse<String> response = post("/v1/embeddings", body);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(cassette("embeddings.json"), response.body());
        JsonNode row = settled();
        assertEquals(9, row.get("used_tokens").asLong(), "usage.prompt_tokens, nothing for a completion");
        assertEquals(0, row.get("reserved_tokens").asLong());
        assertEquals(body, upstream.awaitRequest(Duration.ofSeconds(5)).bodyText(),
                     "embeddings are forwarded byte for byte: no completion limit to add");
    }

    @Test
    void legacyCompletionsStreamsSettleFromTheUsageChunkTheAppDidNotAskFor() throws Exception {
        upstream.on("/v1/completions", StubUpstream.sse(StubUpstream.events(cassette("completions.sse")),
                                                        Duration.ZERO));
        sidecar(1_000_000);

        HttpResponse<String> response = post("/v1/completions",
                "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\",\"stream\":true}");

        assertEquals(200, response.statusCode());
        assertFalse(response.body().contains("\"usage\""), "the usage chunk the app did not ask for is hidden");
        assertTrue(response.body().contains("\" is a test.\"") && response.body().endsWith("data: [DONE]\n\n"));
        assertEquals(12, settled().get("used_tokens").asLong());
        JsonNode forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertTrue(forwarded.path("stream_options").path("include_usage").asBoolean());
        assertEquals(4096, forwarded.get("max_tokens").asInt(), "the price book's output limit, per choice");
    }

    @Test
    void everyChoiceIsReservedSoNCannotOvershootABudget() throws Exception {
        upstream.on("/v1/chat/completions", StubUpstream.json(200, cassette("chat-completion.json")));
        sidecar(40_000);
        String two = "{\"model\":\"gpt-4o-mini\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String three = two.replace("\"n\":2", "\"n\":3");

        // 3 choices of gpt-4o-mini's 16384 tokens need 49152 > 40000: refused before anything is forwarded.
        HttpResponse<String> refused = post("/v1/chat/completions", three);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("\"budget_exceeded\""));
        assertEquals(0, upstream.requestCount());

        // 2 choices need 32768 (+ the prompt): admitted, with the per-choice limit written in.
        assertEquals(200, post("/v1/chat/completions", two).statusCode());
        JsonNode forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertEquals(16384, forwarded.get("max_tokens").asInt());
        assertEquals(260, settled().get("used_tokens").asLong());
    }
}
