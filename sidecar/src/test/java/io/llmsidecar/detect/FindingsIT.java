package io.llmsidecar.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The detectors and the default policies together, through a sidecar with the bundled policy in front of a stub
 * gateway: findings are denied per kind, and long benign or adversarial prompts pass.
 */
class FindingsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** JDK sources full of long numeric constants: tables of powers, bit patterns, test vectors. */
    private static final Set<String> NUMERIC_SOURCES = Set.of(
            "java.base/java/math/BigDecimal.java", "java.base/java/math/BigInteger.java",
            "java.base/java/lang/Long.java", "java.base/java/lang/FdLibm.java",
            "java.base/jdk/internal/math/FDBigInteger.java", "java.base/jdk/internal/math/MathUtils.java",
            "java.base/java/util/zip/CRC32C.java", "java.base/java/lang/StrictMath.java");
    private static StubUpstream upstream;
    private static TestSidecar sidecar;

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of("policy.pool-size", "2"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    @Test
    void refusesAPromptWithAnAwsKeyAndForwardsNothing() throws Exception {
        int before = upstream.requestCount();
        HttpResponse<String> response = sidecar.chat(chat("user", "deploy with AKIAIOSFODNN7EXAMPLE please"));
        assertEquals(403, response.statusCode(), response.body());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals("secret_in_prompt", error.at("/reasons/0").asText());
        assertEquals("The prompt contains what looks like a secret (AWS access key id in messages[0].content); "
                     + "remove it before sending.", error.get("message").asText());
        assertEquals(before, upstream.requestCount());
    }

    @Test
    void refusesACardInAToolCallsArguments() throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(chat("user", "pay the order"));
        ObjectNode call = ((ArrayNode) body.get("messages")).addObject();
        call.put("role", "assistant").putNull("content");
        ObjectNode function = call.putArray("tool_calls").addObject().put("id", "c1").put("type", "function")
                .putObject("function");
        function.put("name", "pay").put("arguments", "{\"card\":\"4111 1111 1111 1111\",\"exp\":\"12/28\"}");
        HttpResponse<String> response = sidecar.chat(JSON.writeValueAsString(body));
        assertEquals(403, response.statusCode(), response.body());
        assertTrue(response.body().contains("card_number_in_prompt"), response.body());
        assertTrue(response.body().contains("messages[1].tool_calls[0].function.arguments"), response.body());
    }

    @Test
    void refusesSecretsInFieldsThatNoPromptExtractorReadsAndForwardsNothing() throws Exception {
        Map<String, String> bodies = Map.of(
                "tools[0].function.description", """
                        {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function",
                         "function":{"name":"deploy","description":"uses AKIAIOSFODNN7EXAMPLE to deploy"}}]}""",
                "prediction.content", """
                        {"model":"gpt-4o-mini","messages":[{"role":"user","content":"edit it"}],
                         "prediction":{"type":"content","content":"aws_key = 'AKIAIOSFODNN7EXAMPLE'"}}""",
                "metadata.note", """
                        {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],
                         "metadata":{"note":"AKIAIOSFODNN7EXAMPLE"}}""",
                "x_vendor_context[0]", """
                        {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],
                         "x_vendor_context":["AKIAIOSFODNN7EXAMPLE"]}""");
        for (var entry : bodies.entrySet()) {
            int before = upstream.requestCount();
            HttpResponse<String> response = sidecar.chat(entry.getValue());
            assertEquals(403, response.statusCode(), entry.getKey() + ": " + response.body());
            assertTrue(response.body().contains("AWS access key id in " + entry.getKey()), response.body());
            assertEquals(before, upstream.requestCount(), entry.getKey() + " was forwarded");
        }
    }

    @Test
    void forwardsBase64ImagesAndAudioUnscannedThoughTheirBytesLookLikeKeys() throws Exception {
        // The same run a text field is refused for, inside media payloads: base64 is not text the model reads, and
        // random base64 is full of key-like runs (one URL-safe "image" in ten shows an OpenAI-key shape).
        String payload = "iVBORw0KGgo" + "/AKIAIOSFODNN7EXAMPLE/" + "A".repeat(4096);
        String body = """
                {"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":[
                  {"type":"text","text":"what is in this picture?"},
                  {"type":"image_url","image_url":{"url":"data:image/png;base64,%s"}},
                  {"type":"input_audio","input_audio":{"data":"%s","format":"wav"}}]}]}""".formatted(payload, payload);
        int before = upstream.requestCount();

        HttpResponse<String> response = sidecar.chat(body);

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(before + 1, upstream.requestCount());
    }

    @Test
    void forwardsJdkSourcesFullOfNumericConstants() throws Exception {
        String sources = jdkSources();
        assertTrue(sources.length() > 500_000, "read " + sources.length() + " characters");
        HttpResponse<String> response = sidecar.chat(chat("user", sources));
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void forwardsLongAdversarialPrompts() throws Exception {
        for (String unit : List.of("sk-", "AKIA", "ghp_", "1 ", "7-", "eyJ", "-----BEGIN ", "0000 ")) {
            HttpResponse<String> response = sidecar.chat(chat("user", unit.repeat(900_000 / unit.length())));
            assertEquals(200, response.statusCode(), unit + ": " + response.body());
        }
    }

    private static String chat(String role, String content) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o-mini").put("max_tokens", 64);
        body.putArray("messages").addObject().put("role", role).put("content", content);
        return JSON.writeValueAsString(body);
    }

    private static String jdkSources() throws IOException {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        StringBuilder text = new StringBuilder();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (NUMERIC_SOURCES.contains(entry.getName())) {
                    text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
                }
            }
        }
        return text.toString();
    }
}
