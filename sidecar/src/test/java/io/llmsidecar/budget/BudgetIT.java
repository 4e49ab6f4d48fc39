package io.llmsidecar.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.testing.LogCapture;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Budgets through real sidecars, a real stub gateway and a real Redis: the exactness promise under concurrency,
 * across replicas and restarts, and settlement of streams, disconnects and failures.
 */
class BudgetIT {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The tokenizer counts 8 prompt tokens for this body, so each request reserves 8 + 40 = 48 tokens. */
    static final String SMALL = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                + "\"max_tokens\":40}";
    private static RedisServer redis;
    private final List<AutoCloseable> open = new ArrayList<>();
    private StubUpstream upstream;
    private String prefix;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void startUpstream() {
        upstream = StubUpstream.start();
        prefix = RedisServer.uniquePrefix();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
        upstream.close();
    }

    @Test
    void admitsAtMostTheBudgetUnder200ConcurrentRequestsAndStoresTheExactReportedSum() throws Exception {
        AtomicLong reported = usageResponder();
        TestSidecar sidecar = sidecar(budget(2000), Map.of());

        List<HttpResponse<String>> responses = concurrently(200, i -> sidecar);

        assertExact(responses, reported, 2000, settled(sidecar));
        assertNoFailOpen(sidecar);
    }

    @Test
    void twoSidecarsSharingOneRedisNeverOvershootTogether() throws Exception {
        AtomicLong reported = usageResponder();
        TestSidecar a = sidecar(budget(2000), Map.of());
        TestSidecar b = sidecar(budget(2000), Map.of());

        List<HttpResponse<String>> responses = concurrently(200, i -> i % 2 == 0 ? a : b);

        assertExact(responses, reported, 2000, settled(b));
        assertNoFailOpen(a, b);
        assertEquals(settled(a).get("used_tokens"), settled(b).get("used_tokens"));
    }

    @Test
    void refusesOverBudgetWith429NamingTheBudgetAndForwardsNothing() {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        TestSidecar sidecar = sidecar(budget(300), Map.of());
        assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "payments").statusCode());
        settled(sidecar);
        int forwarded = upstream.requestCount();

        HttpResponse<String> refused = sidecar.chat(SMALL, "x-llm-team", "payments");

        assertEquals(429, refused.statusCode());
        JsonNode error = read(refused.body()).get("error");
        assertEquals("budget_exceeded", error.get("code").asText());
        assertEquals("insufficient_quota", error.get("type").asText());
        assertTrue(error.get("message").asText().startsWith("Budget 'team-daily' for team=payments cannot cover "
                                                            + "this request: 260 tokens of 300 tokens used"),
                   error.get("message").asText());
        assertTrue(error.get("message").asText().contains("The budget resets at "), error.get("message").asText());
        assertTrue(Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow()) > 0);
        assertEquals(forwarded, upstream.requestCount(), "nothing forwarded");
        assertTrue(sidecar.metrics().contains("outcome=\"denied_budget\",status=\"429\",} 1.0"));
        assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "search").statusCode(), "other teams are not affected");
    }

    @Test
    void capsTheCompletionAtTheReservationWhenTheAppSetsNoLimit() throws Exception {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of());

        sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                     "x-llm-team", "payments");

        JsonNode forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertEquals(1000, forwarded.get("max_tokens").asInt(), "the Unbound gateway's own default, configured as "
                                                                + "upstream.default-max-tokens in application.yaml");

        TestSidecar other = sidecar(budget(1_000_000), Map.of("upstream.default-max-tokens", "0"));
        other.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                   "x-llm-team", "payments");
        forwarded = read(upstream.awaitRequest(Duration.ofSeconds(5)).bodyText());
        assertEquals(16384, forwarded.get("max_tokens").asInt(), "without a gateway default: the price book's "
                                                                 + "output limit for gpt-4o-mini");
    }

    @Test
    void settlesAStreamWithItsUsageChunk() throws Exception {
        upstream.otherwise(StubUpstream.sse(StubUpstream.events(cassette("chat-completion.sse")), Duration.ZERO));
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of());

        HttpResponse<String> response = sidecar.chat(stream(SMALL), "x-llm-team", "payments");

        assertEquals(200, response.statusCode());
        assertTrue(response.body().endsWith("data: [DONE]\n\n"));
        JsonNode row = settled(sidecar);
        assertEquals(37, row.get("used_tokens").asLong(), "17 prompt + 20 completion, from the usage chunk");
    }

    @Test
    void cutsOffAStreamThatOutgrowsItsReservation() throws Exception {
        upstream.otherwise(StubUpstream.sse(StubUpstream.events(cassette("chat-completion.sse")), Duration.ZERO));
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of());

        HttpResponse<String> response = sidecar.chat(stream(SMALL.replace("\"max_tokens\":40", "\"max_tokens\":5")),
                                                     "x-llm-team", "payments");

        assertEquals(200, response.statusCode());
        String body = response.body();
        assertTrue(body.endsWith("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
                                 + "data: [DONE]\n\n"), body);
        assertFalse(body.contains("Fibonacci"), "nothing past the limit reaches the app");
        JsonNode row = settled(sidecar);
        long used = row.get("used_tokens").asLong();
        assertTrue(used > 8 && used <= 8 + 6, "prompt plus the few tokens produced, estimated: " + used);
    }

    @Test
    void billsWhatWasProducedWhenTheAppDisconnectsMidStream() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> events = StubUpstream.events(cassette("chat-completion-no-usage.sse"));
        upstream.otherwise(StubUpstream.gatedSse(events, release));
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of());

        HttpRequest request = HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                .header("Content-Type", "application/json").header("x-llm-team", "payments")
                .POST(HttpRequest.BodyPublishers.ofString(stream(SMALL))).build();
        HttpResponse<InputStream> response = sidecar.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            assertTrue(in.read(new byte[64]) > 0);
        }
        release.countDown();

        JsonNode row = waitFor(sidecar, r -> r.get("reserved_tokens").asLong() == 0
                                            && r.get("used_tokens").asLong() > 0);
        assertTrue(row.get("used_tokens").asLong() < 48, "billed what was produced, not the reservation: " + row);
    }

    @Test
    void releasesTheReservationWhenTheGatewayFails() throws Exception {
        upstream.otherwise(StubUpstream.json(500, cassette("error-500.json")));
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of());

        assertEquals(500, sidecar.chat(SMALL, "x-llm-team", "payments").statusCode());
        upstream.close();
        assertEquals(502, sidecar.chat(SMALL, "x-llm-team", "payments").statusCode());

        JsonNode row = settled(sidecar);
        assertEquals(0, row.get("used_tokens").asLong());
    }

    @Test
    void billsWhatAStreamProducedBeforeTheGatewayWentSilent() throws Exception {
        List<String> events = StubUpstream.events(cassette("chat-completion-no-usage.sse")).subList(0, 4);
        upstream.otherwise((exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            for (String e : events) {
                exchange.getResponseBody().write(e.getBytes(StandardCharsets.UTF_8));
            }
            exchange.getResponseBody().flush();
            sleep(Duration.ofSeconds(3));
        });
        TestSidecar sidecar = sidecar(budget(1_000_000), Map.of("upstream.read-timeout", "300ms"));

        HttpResponse<String> response = sidecar.chat(stream(SMALL), "x-llm-team", "payments");

        assertTrue(response.body().contains("upstream_interrupted"), response.body());
        JsonNode row = settled(sidecar);
        assertTrue(row.get("used_tokens").asLong() > 8 && row.get("used_tokens").asLong() < 48, row.toString());
    }

    @Test
    void keepsUsageAcrossASidecarRestart() throws Exception {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        TestSidecar first = sidecar(budget(300), Map.of());
        assertEquals(200, first.chat(SMALL, "x-llm-team", "payments").statusCode());
        settled(first);
        first.close();
        open.remove(first);

        TestSidecar second = sidecar(budget(300), Map.of());

        assertEquals(260, row(second, "team-daily", "team=payments").get("used_tokens").asLong());
        assertEquals(429, second.chat(SMALL, "x-llm-team", "payments").statusCode());
    }

    @Test
    void adminApiListsAndResetsCountersBehindTheAdminToken() throws Exception {
        LogCapture logs = LogCapture.start();
        open.add(logs);
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        TestSidecar sidecar = sidecar(budget(300) + "    usd: 2.5\n", Map.of("admin.token", "admin-secret"));
        sidecar.chat(SMALL, "x-llm-team", "payments");
        waitUntil(() -> admin(sidecar, "GET", "/admin/budgets", "admin-secret").body()
                .contains("\"reserved_tokens\":0,"), "the request is settled");

        assertEquals(401, admin(sidecar, "GET", "/admin/budgets", null).statusCode());
        String body = admin(sidecar, "GET", "/admin/budgets", "admin-secret").body();
        JsonNode rows = read(body).get("budgets");

        assertEquals(1, rows.size());
        JsonNode row = rows.get(0);
        assertEquals("team-daily", row.get("budget").asText());
        assertEquals("team=payments", row.get("key").asText());
        assertTrue(row.get("window_start").asText().endsWith("T00:00:00Z"));
        assertEquals(260, row.get("used_tokens").asLong());
        assertTrue(body.contains("\"used_usd\":0.00014925,"), "15 x 0.15 + 245 x 0.60 USD per million tokens, "
                                                                 + "as an exact decimal: " + body);
        assertEquals(300, row.get("limit_tokens").asLong());
        assertTrue(body.contains("\"limit_usd\":2.5,"), body);
        assertEquals(40, row.get("remaining_tokens").asLong());
        assertTrue(body.contains("\"remaining_usd\":2.49985075,"), body);
        assertEquals(0, row.get("reserved_tokens").asLong());

        HttpResponse<String> reset = admin(sidecar, "DELETE", "/admin/budgets/team-daily/team=payments",
                                           "admin-secret");
        assertEquals(200, reset.statusCode(), reset.body());
        assertEquals(0, read(reset.body()).get("budgets").get(0).get("used_tokens").asLong());
        assertEquals(200, sidecar.chat(SMALL, "x-llm-team", "payments").statusCode());
        HttpResponse<String> unknown = admin(sidecar, "DELETE", "/admin/budgets/team-daily/team=nobody",
                                             "admin-secret");
        assertEquals(404, unknown.statusCode());
        assertEquals("not_found", read(unknown.body()).get("error").get("code").asText());
        assertTrue(logs.all().contains("Budget 'team-daily' for team=payments was reset through the admin API"));
        assertFalse(logs.all().contains("admin-secret"));
    }

    @Test
    void exportsBudgetGaugesAndGivesPoliciesTheCurrentStatus() {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        TestSidecar sidecar = sidecar(budget(1000), Map.of());
        sidecar.chat(SMALL, "x-llm-team", "payments");
        settled(sidecar);

        String metrics = sidecar.metrics();
        assertTrue(metrics.contains("llm_sidecar_budget_used{budget=\"team-daily\",key=\"team=payments\","
                                    + "unit=\"tokens\",} 260.0"), metrics);
        assertTrue(metrics.contains("llm_sidecar_budget_remaining{budget=\"team-daily\",key=\"team=payments\","
                                    + "unit=\"tokens\",} 740.0"), metrics);
        assertTrue(metrics.contains("llm_sidecar_budget_store_seconds_count{operation=\"reserve\",} 1.0"), metrics);
        Subject payments = new Subject("payments", "", new PodIdentity("", "", "", "", "", true));
        BudgetStatus status = sidecar.sidecar().budgets().service().statuses(payments, "gpt-4o-mini").getFirst();
        assertEquals(260, status.usedTokens());
        assertEquals(740, status.remainingTokens().orElseThrow());
    }

    // ---- helpers ----

    static String budget(long tokens) {
        return """
               budgets:
                 - name: team-daily
                   scope: [team]
                   window: day
                   tokens: %d
               """.formatted(tokens);
    }

    TestSidecar sidecar(String yaml, Map<String, String> overrides) {
        // A slow test machine must not look like a Redis outage: that would switch on fail-open.
        Map<String, String> config = new HashMap<>(Map.of("budget-store.redis-uri", redis.uri(),
                                                                    "budget-store.key-prefix", prefix,
                                                                    "budget-store.command-timeout", "5s",
                                                                    "server.access-log", "false"));
        config.putAll(overrides);
        TestSidecar sidecar = TestSidecar.start(upstream, yaml, config);
        open.add(sidecar);
        return sidecar;
    }

    /** Answers every chat completion with a known usage (5 prompt, 20 to 40 completion tokens) and sums it. */
    AtomicLong usageResponder() {
        AtomicLong reported = new AtomicLong();
        AtomicInteger n = new AtomicInteger();
        upstream.otherwise((exchange, request) -> {
            int completion = 20 + n.getAndIncrement() % 21;
            reported.addAndGet(5 + completion);
            sleep(Duration.ofMillis(10));
            StubUpstream.json(200, "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
                                   + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                   + "\"content\":\"ok\"},"
                                   + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,"
                                   + "\"completion_tokens\":" + completion + "}}").respond(exchange, request);
        });
        return reported;
    }

    /** Sends {@code count} requests at once, request i to {@code target.apply(i)}. */
    static List<HttpResponse<String>> concurrently(int count, IntFunction<TestSidecar> target)
            throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                TestSidecar s = target.apply(i);
                futures.add(pool.submit(() -> {
                    go.await();
                    return s.chat(SMALL, "x-llm-team", "payments");
                }));
            }
            go.countDown();
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> f : futures) {
                responses.add(f.get());
            }
            return responses;
        }
    }

    void assertExact(List<HttpResponse<String>> responses, AtomicLong reported, long budget, JsonNode row) {
        long ok = responses.stream().filter(r -> r.statusCode() == 200).count();
        long refused = responses.stream().filter(r -> r.statusCode() == 429
                                                      && r.body().contains("\"budget_exceeded\"")).count();
        assertEquals(responses.size(), ok + refused, () -> "every request is either served or refused over budget; "
                + "others: " + responses.stream().filter(r -> r.statusCode() != 200 && r.statusCode() != 429)
                        .map(r -> r.statusCode() + " " + r.body()).distinct().toList());
        assertEquals(ok, upstream.requestCount(), "refused requests never reach the gateway");
        assertTrue(ok >= budget / 48, "at least what fits when every request holds its maximum: " + ok);
        assertTrue(refused > 0, "the budget was contended");
        assertEquals(reported.get(), row.get("used_tokens").asLong(), "stored usage is the exact sum reported");
        assertTrue(reported.get() <= budget, "admitted usage " + reported.get() + " within " + budget);
        assertEquals(0, row.get("reserved_tokens").asLong(), "every reservation settled");
    }

    static void assertNoFailOpen(TestSidecar... sidecars) {
        for (TestSidecar s : sidecars) {
            assertTrue(s.metrics().contains("llm_sidecar_fail_open_admissions_total 0.0"), "no request was admitted "
                                                                                         + "without a reservation");
        }
    }

    static JsonNode row(TestSidecar sidecar, String budget, String key) {
        HttpResponse<String> response = admin(sidecar, "GET", "/admin/budgets", sidecar.adminToken());
        for (JsonNode row : read(response.body()).get("budgets")) {
            if (row.get("budget").asText().equals(budget) && row.get("key").asText().equals(key)) {
                return row;
            }
        }
        throw new AssertionError("no counter " + budget + "/" + key + " in " + response.body());
    }

    /** The team=payments counter once no request holds anything (settlement runs after the response ends). */
    static JsonNode settled(TestSidecar sidecar) {
        return waitFor(sidecar, r -> r.get("reserved_tokens").asLong() == 0);
    }

    /** Polls the team=payments counter until {@code condition} holds (settlement runs after the response ends). */
    static JsonNode waitFor(TestSidecar sidecar, Predicate<JsonNode> condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode row = null;
        while (System.nanoTime() < deadline) {
            try {
                row = row(sidecar, "team-daily", "team=payments");
                if (condition.test(row)) {
                    return row;
                }
            } catch (AssertionError notYet) {
                // the counter appears with the first reservation
            }
            sleep(Duration.ofMillis(50));
        }
        throw new AssertionError("the counter never got there: " + row);
    }

    static void waitUntil(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            sleep(Duration.ofMillis(50));
        }
    }

    static HttpResponse<String> admin(TestSidecar sidecar, String method, String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(sidecar.adminUrl(path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return sidecar.send(b.build());
    }

    static String stream(String body) {
        return body.substring(0, body.length() - 1) + ",\"stream\":true}";
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
