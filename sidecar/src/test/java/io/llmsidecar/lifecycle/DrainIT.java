package io.llmsidecar.lifecycle;

import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.SidecarProcess;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM to the real, packaged sidecar process with streams in flight against a Redis budget: what Kubernetes does
 * to the pod on every rollout. Nothing may be cut that could finish, nothing streamed may go unbilled, nothing may
 * stay reserved, and the process exits 0.
 */
class DrainIT {
    private static final String ADMIN_TOKEN = "drain-test-admin-token-8c2e5a7f1b";
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":200,"
                                       + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    /** What the tokenizer counts for {@link #BODY}'s prompt (see BudgetIT). */
    private static final long PROMPT_TOKENS = 8;
    private static RedisServer redis;
    private StubUpstream upstream;
    private String prefix;
    private SidecarProcess sidecar;

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
    void stopAll() {
        if (sidecar != null) {
            sidecar.close();
        }
        upstream.close();
    }

    @Test
    void sigtermLetsTwentyStreamsFinishBillsThemExactlyAndExitsZero() throws Exception {
        AtomicLong reported = new AtomicLong();
        AtomicInteger n = new AtomicInteger();
        // 20 chunks 350 ms apart: each stream runs 7 s, past the 5 s drain delay, well within the timeout.
        upstream.otherwise((exchange, request) -> {
            int completion = 20 + n.getAndIncrement();
            reported.addAndGet(PROMPT_TOKENS + completion);
            stream(exchange, 20, Duration.ofMillis(350), completion);
        });
        upstream.on("/v1/models", StubUpstream.json(200, StubUpstream.cassette("openai-models-list.json")));
        sidecar = start("drain-twenty-streams", "5s", "15s");

        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            streams.add(sidecar.client().sendAsync(chat(), HttpResponse.BodyHandlers.ofString()));
        }
        awaitRequests(20);
        long signalled = System.nanoTime();
        sidecar.terminate();
        assertEquals(503, awaitReadyStatus(503), "readiness must turn 503 right after SIGTERM");
        assertEquals(200, send(HttpClient.newHttpClient(), "/v1/models"), "new requests are served during the delay");
        assertEquals(-1, awaitRefused(), "after the delay no new connection is taken");

        for (CompletableFuture<HttpResponse<String>> f : streams) {
            HttpResponse<String> response = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode());
            assertTrue(response.body().endsWith("data: [DONE]\n\n"), "a stream was cut:\n" + response.body());
            assertFalse(response.body().contains("\"error\""), response.body());
        }
        int exit = sidecar.awaitExit(Duration.ofSeconds(30));
        long drainedMillis = (System.nanoTime() - signalled) / 1_000_000;
        String log = sidecar.output();
        assertEquals(0, exit, log);
        assertTrue(log.contains("Drain started"), log);
        assertTrue(log.contains("Drain finished"), log);
        assertTrue(log.contains("0 streams cut"), log);

        assertEquals(reported.get(), usedTokens(), "Redis must hold exactly the usage the gateway reported");
        assertEquals(0, reservedTokens(), "no reservation may be left");
        assertEquals("0", reply("ZCARD " + prefix + "exp"));
        System.out.println("DrainIT: 20 streams drained, process exited " + drainedMillis + " ms after SIGTERM; "
                           + "Redis used_tokens=" + usedTokens() + " reported=" + reported.get());
    }

    @Test
    void aStreamLongerThanTheDrainTimeoutIsEndedWithAnErrorEventAndBilledForWhatItStreamed() throws Exception {
        // 200 chunks 100 ms apart (20 s) against a 2 s drain timeout; the usage chunk would come only at the end.
        upstream.otherwise((exchange, request) -> stream(exchange, 200, Duration.ofMillis(100), 200));
        sidecar = start("drain-cut-stream", "0s", "2s");
        HttpResponse<InputStream> response = sidecar.client().send(chat(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        // SIGTERM once the first chunk reached the app: the stream is being relayed.
        byte[] first = new byte[1];
        assertEquals(1, response.body().read(first));

        sidecar.terminate();
        String body = (char) first[0] + new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        int exit = sidecar.awaitExit(Duration.ofSeconds(20));

        String log = sidecar.output();
        assertEquals(0, exit, log);
        assertFalse(body.contains("[DONE]"), body);
        String last = body.strip().substring(body.strip().lastIndexOf("data: "));
        assertTrue(last.startsWith("data: {\"error\":{") && last.contains("\"code\":\"sidecar_shutting_down\""),
                   "the stream must end with an OpenAI error event:\n" + last);
        long chunks = body.split("\" hello\"", -1).length - 1;
        assertTrue(chunks >= 10, "the stream ran for 2 s after SIGTERM before it was cut; got " + chunks + " chunks");
        assertTrue(log.contains("1 streams cut"), log);
        // No usage chunk arrived: the tokenizer's count of what was streamed (one token per " hello") is billed.
        assertEquals(PROMPT_TOKENS + chunks, usedTokens(), "billed tokens\n" + log);
        assertEquals(0, reservedTokens(), "no reservation may be left");
    }

    private SidecarProcess start(String name, String delay, String timeout) throws IOException {
        Path config = Files.createTempFile("drain", ".yaml");
        config.toFile().deleteOnExit();
        Files.writeString(config, "budgets:\n  - {name: team-daily, scope: [team], window: day, tokens: 10000000}\n");
        Map<String, String> env = new HashMap<>();
        env.put("SIDECAR_CONFIG", config.toString());
        env.put("SIDECAR_UPSTREAM_URL", upstream.baseUrl());
        env.put("SIDECAR_UPSTREAM_API_KEY", "sk-drain-test");
        env.put("SIDECAR_REDIS_URI", redis.uri());
        env.put("SIDECAR_BUDGET_KEY_PREFIX", prefix);
        env.put("SIDECAR_TEAM", "payments");
        env.put("SIDECAR_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("SIDECAR_DRAIN_DELAY", delay);
        env.put("SIDECAR_DRAIN_TIMEOUT", timeout);
        // Policies play no part in the drain; without them the process starts in seconds on a loaded machine too.
        env.put("SIDECAR_POLICY_ENABLED", "false");
        SidecarProcess started = SidecarProcess.start(name, env);
        awaitBudgetStore(started);
        return started;
    }

    /** Waits until the sidecar is connected to Redis (its admin API lists budgets), so requests reserve there. */
    private static void awaitBudgetStore(SidecarProcess started) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try {
            while (started.client().send(HttpRequest.newBuilder(started.adminUrl("/admin/budgets"))
                                                 .header("Authorization", "Bearer " + ADMIN_TOKEN)
                                                 .timeout(Duration.ofSeconds(5)).GET().build(),
                                         HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the sidecar never connected to Redis:\n" + started.output());
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tries new connections until one is refused (-1), for up to 15 s; returns the last status. */
    private int awaitRefused() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        int status;
        do {
            status = send(HttpClient.newHttpClient(), "/v1/models");
            if (status == -1) {
                return status;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return status;
    }

    private HttpRequest chat() {
        return HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build();
    }

    /** An OpenAI stream: {@code chunks} " hello" deltas {@code gap} apart, then the usage chunk and [DONE]. */
    private static void stream(com.sun.net.httpserver.HttpExchange exchange, int chunks, Duration gap,
                               int completionTokens) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        String prefix = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                        + "\"model\":\"gpt-4o-mini\",\"choices\":";
        String head = prefix + "[{\"index\":0,\"delta\":{\"content\":\" hello\"},\"finish_reason\":null}]}\n\n";
        for (int i = 0; i < chunks; i++) {
            out.write(head.getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                Thread.sleep(gap);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        String end = prefix + "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                     + prefix + "[],\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":"
                     + completionTokens + ",\"total_tokens\":" + (PROMPT_TOKENS + completionTokens) + "}}\n\n"
                     + "data: [DONE]\n\n";
        out.write(end.getBytes(StandardCharsets.UTF_8));
        out.close();
    }

    /** The status of a GET on a new connection, -1 when no connection can be made. */
    private int send(HttpClient client, String path) {
        try {
            return client.send(HttpRequest.newBuilder(sidecar.url(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                               HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void awaitRequests(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (upstream.requestCount() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + upstream.requestCount() + " of " + count
                                         + " streams reached the gateway:\n" + sidecar.output());
            }
            Thread.sleep(10);
        }
    }

    private int awaitReadyStatus(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status;
        do {
            status = sidecar.readyStatus();
            if (status == expected) {
                return status;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return status;
    }

    private long usedTokens() {
        return sumField("ut");
    }

    private long reservedTokens() {
        return sumField("rt");
    }

    /** Sums a field over the budget counters under this test's prefix. */
    private long sumField(String field) {
        long sum = 0;
        List<String> counters = RedisServer.bulkStrings(redis.command("KEYS " + prefix + "c:*"));
        assertFalse(counters.isEmpty(), "no budget counter in Redis under " + prefix);
        for (String key : counters) {
            List<String> value = RedisServer.bulkStrings(redis.command("HGET " + key + " " + field));
            sum += value.isEmpty() ? 0 : Long.parseLong(value.getFirst());
        }
        return sum;
    }

    private static String reply(String command) {
        String raw = redis.command(command);
        return raw.startsWith(":") ? raw.substring(1) : raw;
    }
}
