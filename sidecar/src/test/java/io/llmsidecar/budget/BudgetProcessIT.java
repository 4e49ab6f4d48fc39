package io.llmsidecar.budget;

import com.fasterxml.jackson.databind.JsonNode;
import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.RedisServer;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
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

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar as operators and Kubernetes run it, as separate processes against a real Redis: the {@code budgets} CLI,
 * a sidecar killed with SIGKILL mid-stream, and a sidecar restarted during a Redis outage.
 */
class BudgetProcessIT {
    /** 8 prompt tokens + max_tokens 40: each request holds 48 tokens. */
    private static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                                         + "\"content\":\"hi\"}],\"max_tokens\":40}";
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();
    private RedisServer redis;
    private StubUpstream upstream;
    private Path dir;
    private final String prefix = RedisServer.uniquePrefix();

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.startOwn();
        upstream = StubUpstream.start();
        dir = Files.createTempDirectory("budget-process-it");
        Files.writeString(dir.resolve("budgets.yaml"), BudgetIT.budget(100_000));
    }

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        upstream.close();
        redis.close();
    }

    @Test
    void theCliListsAndResetsACounterSharedThroughRedis() throws Exception {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        Sidecar sidecar = sidecar(Map.of());
        assertEquals(200, sidecar.chat(BudgetIT.SMALL).statusCode());

        JsonNode listed = awaitCounter(c -> c.get("reserved_tokens").asLong() == 0);
        String text = cli("list");
        String reset = cli("reset", "team-daily", "team=payments", "--json");

        assertEquals(260, listed.get("used_tokens").asLong());
        assertTrue(text.contains("team-daily") && text.contains("team=payments") && text.contains("260"), text);
        assertEquals(0, BudgetIT.JSON.readTree(reset).get("budgets").get(0).get("used_tokens").asLong(), reset);
        assertEquals(1, run("budgets", "reset", "team-daily", "team=nobody").exitValue());
        assertEquals(2, run("budgets", "frobnicate").exitValue());
    }

    @Test
    void theCliAndTheAdminApiPrintTheSameJsonForTheSameCounters() throws Exception {
        Files.writeString(dir.resolve("budgets.yaml"), BudgetIT.budget(100_000) + "    usd: 1000\n");
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        Sidecar sidecar = sidecar(Map.of("SIDECAR_ADMIN_TOKEN", "process-it-admin"));
        assertEquals(200, sidecar.chat(BudgetIT.SMALL).statusCode());
        awaitCounter(c -> c.get("used_tokens").asLong() == 260 && c.get("reserved_tokens").asLong() == 0);

        String cli = cli("list", "--json").strip();
        HttpResponse<String> api = client.send(HttpRequest.newBuilder(sidecar.admin("/admin/budgets"))
                                                       .header("Authorization", "Bearer process-it-admin").build(),
                                               HttpResponse.BodyHandlers.ofString());

        assertEquals(200, api.statusCode(), api.body());
        assertEquals(api.body(), cli, "one writer: the same bytes");
        JsonNode row = BudgetIT.JSON.readTree(cli).get("budgets").get(0);
        List<String> fields = new ArrayList<>();
        row.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("budget", "key", "window_start", "window_end", "used_tokens", "used_usd", "limit_tokens",
                             "limit_usd", "remaining_tokens", "remaining_usd", "reserved_tokens", "reserved_usd"),
                     fields);
        assertEquals(100_000 - 260, row.get("remaining_tokens").asLong());
        assertTrue(cli.contains("\"limit_usd\":1000,"), "a plain decimal, not 1E+3: " + cli);
    }

    @Test
    void aSidecarKilledMidStreamHasItsReservationChargedOnceTheTtlPasses() throws Exception {
        // The first event, then a minute of silence: the stream is still open when the sidecar dies.
        upstream.otherwise(StubUpstream.sse(StubUpstream.events(cassette("chat-completion-no-usage.sse")),
                                            Duration.ofSeconds(60)));
        Sidecar sidecar = sidecar(Map.of("SIDECAR_BUDGET_RESERVATION_TTL", "2s"));
        sidecar.chatAsync(STREAM);
        upstream.awaitRequest(Duration.ofSeconds(10));
        long held = awaitReserved();

        sidecar.process.destroyForcibly().waitFor();
        Thread.sleep(2500);

        JsonNode row = awaitCounter(c -> c.get("reserved_tokens").asLong() == 0);
        assertEquals(held, row.get("used_tokens").asLong(), "the gateway may have served it: billed what it held");
    }

    @Test
    void aSidecarKilledMidStreamHasItsReservationReleasedWhenConfigured() throws Exception {
        // The first event, then a minute of silence: the stream is still open when the sidecar dies.
        upstream.otherwise(StubUpstream.sse(StubUpstream.events(cassette("chat-completion-no-usage.sse")),
                                            Duration.ofSeconds(60)));
        Sidecar sidecar = sidecar(Map.of("SIDECAR_BUDGET_RESERVATION_TTL", "2s",
                                         "SIDECAR_BUDGET_EXPIRED_RESERVATIONS", "release"));
        sidecar.chatAsync(STREAM);
        upstream.awaitRequest(Duration.ofSeconds(10));
        awaitReserved();

        sidecar.process.destroyForcibly().waitFor();
        Thread.sleep(2500);

        JsonNode row = BudgetIT.JSON.readTree(cli("list", "--json")).get("budgets").get(0);
        assertEquals(List.of(0L, 0L), List.of(row.get("used_tokens").asLong(), row.get("reserved_tokens").asLong()));
    }

    @Test
    void aSidecarRestartedDuringARedisOutageReplaysItsLedgerWhenRedisIsBack() throws Exception {
        upstream.otherwise(StubUpstream.json(200, cassette("chat-completion.json")));
        Map<String, String> env = Map.of("SIDECAR_BUDGET_LEDGER_FILE", dir.resolve("ledger").toString());
        Sidecar first = sidecar(env);
        assertEquals(200, first.chat(BudgetIT.SMALL).statusCode());
        awaitCounter(c -> c.get("used_tokens").asLong() == 260);

        redis.stop();
        assertEquals(200, first.chat(BudgetIT.SMALL).statusCode(), "fail-open admits during the outage");
        assertEquals(200, first.chat(BudgetIT.SMALL).statusCode());
        // Settlement runs after the response's last byte: kill once both are on disk.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (Files.readString(dir.resolve("ledger")).lines().filter(l -> l.startsWith("U\t")).count() < 2
               && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        first.process.destroyForcibly().waitFor();
        assertEquals(2, Files.readString(dir.resolve("ledger")).lines().filter(l -> l.startsWith("U\t")).count(),
                     "both admitted requests are on disk before the kill");
        Sidecar second = sidecar(env);
        redis.restart();

        JsonNode row = awaitCounter(c -> c.get("used_tokens").asLong() >= 3 * 260);
        assertEquals(3 * 260, row.get("used_tokens").asLong(), "replayed once, nothing lost");
        Thread.sleep(1500);
        assertEquals(3 * 260, awaitCounter(c -> true).get("used_tokens").asLong(), "and not replayed twice");
        assertTrue(second.metrics().contains("llm_sidecar_budget_replayed_total 2.0"), second.metrics());
    }

    /** What the team=payments counter holds once a request has reserved, read from Redis directly (fast). */
    private long awaitReserved() throws Exception {
        long windowStart = java.time.Instant.now().getEpochSecond() / 86_400 * 86_400;
        String key = prefix + "c:team-daily:" + windowStart + ":team=payments";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> reserved = RedisServer.bulkStrings(redis.command("HGET " + key + " rt"));
            if (reserved.size() == 1 && Long.parseLong(reserved.getFirst()) > 0) {
                return Long.parseLong(reserved.getFirst());
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing was reserved under " + key);
    }

    private JsonNode awaitCounter(java.util.function.Predicate<JsonNode> condition) throws Exception {
        // Generous: each look is a JVM start, which takes seconds on a loaded machine.
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Process p = run("budgets", "list", "--json");
            last = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() == 0) {
                for (JsonNode row : BudgetIT.JSON.readTree(last).get("budgets")) {
                    if (row.get("key").asText().equals("team=payments") && condition.test(row)) {
                        return row;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the counter never got there: " + last);
    }

    private String cli(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("budgets"));
        all.addAll(List.of(args));
        Process p = run(all.toArray(String[]::new));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out;
    }

    private Process run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
        command.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(command);
        // The CLI's own choices do not matter: a reservation is ended as the sidecar that took it chose.
        b.environment().putAll(env(Map.of("SIDECAR_BUDGET_EXPIRED_RESERVATIONS", "charge")));
        Process p = b.start();
        p.waitFor();
        // Exit status first; output is read by the caller (small enough for the pipe buffer).
        return p;
    }

    private Sidecar sidecar(Map<String, String> extra) throws Exception {
        int port = Project.freePort();
        int admin = Project.freePort();
        Map<String, String> env = env(extra);
        env.put("SIDECAR_PORT", Integer.toString(port));
        env.put("SIDECAR_ADMIN_PORT", Integer.toString(admin));
        env.put("SIDECAR_UPSTREAM_URL", upstream.baseUrl());
        env.put("SIDECAR_UPSTREAM_API_KEY", "sk-process-it");
        env.put("SIDECAR_PRICING_REFRESH", "0");
        env.put("SIDECAR_TEAM", "payments");
        ProcessBuilder b = new ProcessBuilder(java(), "-jar", jar().toString());
        b.environment().putAll(env);
        b.redirectErrorStream(true).redirectOutput(dir.resolve("sidecar-" + port + ".log").toFile());
        Process p = b.start();
        processes.add(p);
        Sidecar s = new Sidecar(p, port, admin);
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (client.send(HttpRequest.newBuilder(s.admin("/health/live")).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return s;
                }
            } catch (IOException notYet) {
                // still starting
            }
            assertTrue(p.isAlive(), "the sidecar exited; see " + dir);
            Thread.sleep(100);
        }
        throw new AssertionError("the sidecar never became live; see " + dir);
    }

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("SIDECAR_CONFIG", dir.resolve("budgets.yaml").toString());
        env.put("SIDECAR_REDIS_URI", redis.uri());
        env.put("SIDECAR_BUDGET_KEY_PREFIX", prefix);
        env.put("SIDECAR_REDIS_TIMEOUT", "2s");
        env.putAll(extra);
        return env;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static Path jar() {
        Path jar = Project.root().resolve("sidecar/target/llm-sidecar.jar");
        assertTrue(Files.exists(jar), "build the jar first (mvn package runs before the ITs)");
        return jar;
    }

    private final class Sidecar {
        final Process process;
        final int port;
        final int adminPort;

        Sidecar(Process process, int port, int adminPort) {
            this.process = process;
            this.port = port;
            this.adminPort = adminPort;
        }

        URI admin(String path) {
            return URI.create("http://127.0.0.1:" + adminPort + path);
        }

        HttpResponse<String> chat(String body) throws Exception {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                                       .header("Content-Type", "application/json")
                                       .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                               HttpResponse.BodyHandlers.ofString());
        }

        void chatAsync(String body) {
            client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                                     .header("Content-Type", "application/json")
                                     .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                             HttpResponse.BodyHandlers.discarding());
        }

        String metrics() throws Exception {
            return client.send(HttpRequest.newBuilder(admin("/metrics")).build(),
                               HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
