package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.Nginx;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sidecar polling a real nginx that serves bundles built and signed by the real {@code opa} and checks the bearer
 * token: a signed bundle loads and then costs only 304s; a tampered, an unsigned and a foreign-key bundle are each
 * refused while the last good revision keeps serving (logged, counted, shown by /admin/policy); rotating the
 * verification key lets the new bundle in; a wrong token keeps the policy in force and says so.
 */
class SignedBundleServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "bundle-token-3b9f0c6d";

    @Test
    void loadsOnlyBundlesItsKeyVouchesForAndKeepsTheLastGoodOne(@TempDir Path dir) throws Exception {
        SignedBundles.Keys keyA = SignedBundles.Keys.rsa(dir, "a");
        SignedBundles.Keys keyB = SignedBundles.Keys.rsa(dir, "b");
        Path root = Files.createDirectories(dir.resolve("srv"));
        Path keyFile = dir.resolve("verification.pem");
        Files.copy(keyA.publicKey(), keyFile);
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        serve(root, SignedBundles.build(dir, "v1", "gpt-4o", "--signing-key", keyA.privateKey().toString()), 1);

        try (Nginx nginx = Nginx.serve(root, TOKEN);
             StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of(
                     "policy.bundle-url", nginx.url("/bundles/sidecar.tar.gz").toString(),
                     "policy.bundle-token-file", tokenFile.toString(),
                     "policy.bundle-verification-key", keyFile.toString(),
                     "policy.bundle-poll-interval", "150ms",
                     "policy.pool-size", "1",
                     "policy.decision-log", "off"))) {
            assertEquals("v1", status(sidecar).at("/enforced/revision").asText());
            assertEquals(403, sidecar.chat(body("gpt-4o")).statusCode());
            assertEquals(200, sidecar.chat(body("o4-mini")).statusCode());
            await(() -> nginx.accessLog().stream().filter(l -> l.contains("\" 304 ")).count() >= 2,
                  "unchanged polls to be answered 304 by nginx");
            assertTrue(nginx.accessLog().stream().noneMatch(l -> l.contains("\" 401 ")), "the token was sent");

            // A file changed after signing: refused, v1 stays.
            byte[] v2 = SignedBundles.build(dir, "v2", "o4-mini", "--signing-key", keyA.privateKey().toString());
            serve(root, SignedBundles.rewrite(v2, e -> e.put("data.json", "{\"blocked\": []}".getBytes())), 2);
            JsonNode refused = awaitRefusal(sidecar, "tampered", 1);
            assertEquals("v1", refused.at("/enforced/revision").asText());
            assertTrue(refused.at("/enforced/bundle_refusals/last_message").asText()
                               .contains("data.json does not match its signed hash"), refused.toString());
            assertEquals(403, sidecar.chat(body("gpt-4o")).statusCode(), "the last good revision serves");

            // No signature at all.
            serve(root, SignedBundles.build(dir, "v3", "o4-mini"), 3);
            awaitRefusal(sidecar, "unsigned", 2);

            // Signed with a key the sidecar does not trust (yet).
            serve(root, SignedBundles.build(dir, "v4", "o4-mini", "--signing-key", keyB.privateKey().toString()), 4);
            JsonNode foreign = awaitRefusal(sidecar, "bad_signature", 3);
            assertEquals("v1", foreign.at("/enforced/revision").asText());
            assertEquals(200, sidecar.chat(body("o4-mini")).statusCode());
            String metrics = sidecar.metrics();
            for (String reason : new String[] {"tampered", "unsigned", "bad_signature"}) {
                assertTrue(metrics.contains("llm_sidecar_policy_bundle_refusals_total{reason=\"" + reason
                                            + "\",} 1.0"), metrics);
            }

            // The key is rotated (the Secret updated): the same bundle, unchanged on the server, now loads.
            Path rotated = dir.resolve("verification.pem.new");
            Files.copy(keyB.publicKey(), rotated);
            Files.setLastModifiedTime(rotated, FileTime.from(Instant.now().plusSeconds(5)));
            Files.move(rotated, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await(() -> status(sidecar).at("/enforced/revision").asText().equals("v4"), "v4 under the rotated key");
            assertEquals(200, sidecar.chat(body("gpt-4o")).statusCode());
            assertEquals(403, sidecar.chat(body("o4-mini")).statusCode());

            // A wrong token: nginx refuses, the sidecar keeps v4 and names the token file.
            Files.writeString(tokenFile, "not-the-token");
            serve(root, SignedBundles.build(dir, "v5", "gpt-4.1", "--signing-key", keyB.privateKey().toString()), 5);
            await(() -> status(sidecar).at("/enforced/last_error").asText().contains("refused the token (401)"),
                  "the 401 to be reported");
            assertEquals("v4", status(sidecar).at("/enforced/revision").asText());
            assertTrue(nginx.accessLog().stream().anyMatch(l -> l.contains("\" 401 ")));
        }
    }

    /**
     * Puts {@code bundle} in place atomically, with a modification time of its own: nginx's ETag is the file's
     * mtime and size, so two bundles written within a second could otherwise share one.
     */
    private static void serve(Path root, byte[] bundle, int version) throws Exception {
        Path dir = Files.createDirectories(root.resolve("bundles"));
        Path tmp = Files.write(dir.resolve(".next"), bundle);
        Files.setLastModifiedTime(tmp, FileTime.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(version)));
        Files.move(tmp, dir.resolve("sidecar.tar.gz"), StandardCopyOption.REPLACE_EXISTING,
                   StandardCopyOption.ATOMIC_MOVE);
    }

    private static JsonNode awaitRefusal(TestSidecar sidecar, String reason, int count) throws Exception {
        await(() -> status(sidecar).at("/enforced/bundle_refusals/count").intValue() >= count
                    && status(sidecar).at("/enforced/bundle_refusals/last_reason").asText().equals(reason),
              "refusal " + count + " (" + reason + ")");
        return status(sidecar);
    }

    private static JsonNode status(TestSidecar sidecar) {
        try {
            return JSON.readTree(sidecar.send(sidecar.adminRequest("/admin/policy").GET().build()).body());
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
            Thread.sleep(50);
        }
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }
}
