package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** New policy versions take effect without a restart; broken ones leave the last good version in force. */
class PolicyReloadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BLOCKLIST = TestPolicies.resource("/policies/blocklist/decision.rego");

    @Test
    void reloadsAConfigMapDirectoryAndKeepsTheLastGoodPolicyWhenAnEditBreaks(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("policy");
        TestPolicies.configMap(policy, "v1", Map.of("decision.rego", BLOCKLIST,
                                                    "data.json", "{\"blocked\": [\"gpt-4o\"]}"));
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("policy.dir", policy.toString(),
                                                                      "policy.watch-interval", "100ms",
                                                                      "policy.pool-size", "1",
                                                                      "policy.decision-log", "off"))) {
            assertEquals(403, sidecar.chat(body("gpt-4o")).statusCode());
            String v1 = status(sidecar).at("/enforced/revision").asText();

            TestPolicies.configMap(policy, "v2", Map.of("decision.rego", BLOCKLIST,
                                                        "data.json", "{\"blocked\": [\"gpt-4o-mini\"]}"));
            await(() -> sidecar.chat(body("gpt-4o")).statusCode() == 200, "the new data to take effect");
            assertEquals(403, sidecar.chat(body("gpt-4o-mini")).statusCode());
            String v2 = status(sidecar).at("/enforced/revision").asText();
            assertTrue(!v2.equals(v1), v1 + " -> " + v2);

            TestPolicies.configMap(policy, "v3", Map.of("decision.rego", "package sidecar\n\ndecision := {",
                                                        "data.json", "{\"blocked\": []}"));
            await(() -> !status(sidecar).at("/enforced/last_error").isNull(), "the broken edit to be reported");
            JsonNode broken = status(sidecar);
            assertEquals(v2, broken.at("/enforced/revision").asText(), "the last good revision stays active");
            assertTrue(broken.at("/enforced/last_error").asText().contains("opa build failed"), broken.toString());
            assertEquals(403, sidecar.chat(body("gpt-4o-mini")).statusCode());
            assertTrue(sidecar.metrics().contains("llm_sidecar_policy_load_failures_total 1.0"));

            TestPolicies.configMap(policy, "v4", Map.of("decision.rego", BLOCKLIST, "data.json", "{\"blocked\": []}"));
            await(() -> status(sidecar).at("/enforced/last_error").isNull(), "the fixed edit to load");
            assertEquals(200, sidecar.chat(body("gpt-4o-mini")).statusCode());
            assertTrue(sidecar.metrics().contains("llm_sidecar_policy_reloads_total 3.0"), sidecar.metrics());
        }
    }

    @Test
    void reloadsABundleFileWhenItChanges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bundle.tar.gz");
        Files.write(file, bundle(dir, "v1", "gpt-4o"));
        PolicyConfig config = TestPolicies.config(Optional.empty(), Optional.of(file), 1, Duration.ofSeconds(5));
        try (PolicyEngine engine = PolicyEngine.start(config, new SidecarMetrics("test"))) {
            assertInstanceOf(Decision.Deny.class, evaluate(engine, "gpt-4o"));

            Path next = dir.resolve("next.tar.gz");
            Files.write(next, bundle(dir, "v2", "o4-mini"));
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            await(() -> evaluate(engine, "gpt-4o") instanceof Decision.Allow, "the new bundle to take effect");
            assertInstanceOf(Decision.Deny.class, evaluate(engine, "o4-mini"));
        }
    }

    @Test
    void pollsABundleServerWithEtags(@TempDir Path dir) throws Exception {
        AtomicReference<byte[]> served = new AtomicReference<>(bundle(dir, "v1", "gpt-4o"));
        AtomicInteger notModified = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.createContext("/bundle.tar.gz", exchange -> {
            byte[] bytes = served.get();
            String etag = "\"" + PolicyBundle.contentHash(bytes) + "\"";
            if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
                notModified.incrementAndGet();
                exchange.sendResponseHeaders(304, -1);
            } else {
                exchange.getResponseHeaders().set("ETag", etag);
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        server.start();
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/bundle.tar.gz");
        PolicyConfig config = new PolicyConfig(Optional.empty(), Optional.empty(), Optional.of(url), Optional.empty(),
                                               Optional.empty(), Optional.empty(),
                                               PolicyConfig.FailureMode.FAIL_CLOSED, Duration.ofSeconds(5), 1,
                                               Duration.ofMillis(100), Duration.ofMillis(100),
                                               new PolicyConfig.DecisionLogTarget.Off(), false, true);
        try (PolicyEngine engine = PolicyEngine.start(config, new SidecarMetrics("test"))) {
            assertInstanceOf(Decision.Deny.class, evaluate(engine, "gpt-4o"));
            await(() -> notModified.get() >= 2, "unchanged polls to be answered 304");

            served.set(bundle(dir, "v2", "o4-mini"));
            await(() -> evaluate(engine, "gpt-4o") instanceof Decision.Allow, "the served bundle to take effect");
        } finally {
            server.stop(0);
        }
    }

    private static byte[] bundle(Path dir, String version, String blocked) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src-" + version));
        Files.writeString(src.resolve("decision.rego"), BLOCKLIST);
        Files.writeString(src.resolve("data.json"), "{\"blocked\": [\"" + blocked + "\"]}");
        return TestPolicies.build(src, dir.resolve(version + ".tar.gz"));
    }

    private static Decision evaluate(PolicyEngine engine, String model) {
        return engine.evaluate(PolicyInput.of("it", PolicyFixtures.request(body(model)), PolicyFixtures.SUBJECT,
                                              PolicyFixtures.estimate(5, 10), List.of()));
    }

    private static JsonNode status(TestSidecar sidecar) {
        try {
            return JSON.readTree(sidecar.send(sidecar.adminRequest("/admin/policy").GET().build())
                                         .body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }
}
