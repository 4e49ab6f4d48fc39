package io.llmsidecar.detect;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A custom policy that reads the prompt text gets it when its data sets {@code config.input.include_text}, and
 * sees only the messages' roles otherwise: the default configuration never pays for copying prompts into Wasm.
 */
class IncludeTextIT {
    private static final String POLICY = """
            package sidecar

            decision := {"allow": count(deny) == 0, "reasons": deny}

            deny contains {"code": "forbidden_word", "policy": "words"} if {
            	some message in input.request.messages
            	contains(message.content, "forbidden")
            }

            deny contains {"code": "no_roles", "policy": "words"} if {
            	not input.request.messages[0].role
            }
            """;
    private static StubUpstream upstream;
    private static TestSidecar withText;
    private static TestSidecar withoutText;

    @BeforeAll
    static void start() throws Exception {
        upstream = StubUpstream.start();
        withText = TestSidecar.start(upstream, Map.of("policy.dir", policy("true").toString()));
        withoutText = TestSidecar.start(upstream, Map.of("policy.dir", policy("false").toString()));
    }

    @AfterAll
    static void stop() {
        withText.close();
        withoutText.close();
        upstream.close();
    }

    @ParameterizedTest(name = "include_text={0}, prompt \"{1}\" -> {2}")
    @CsvSource({
            "true,  a forbidden word, 403",
            "true,  a harmless word,  200",
            "false, a forbidden word, 200",
            "false, a harmless word,  200",
    })
    void aPolicyReadsTheTextOnlyWhenItAsksForIt(boolean includeText, String prompt, int status) {
        HttpResponse<String> response = (includeText ? withText : withoutText).chat(
                "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\""
                + prompt + "\"}]}");
        assertEquals(status, response.statusCode(), response.body());
    }

    private static Path policy(String includeText) throws Exception {
        Path dir = Files.createTempDirectory("include-text-" + includeText);
        Files.writeString(dir.resolve("words.rego"), POLICY);
        Files.writeString(dir.resolve("data.json"), "{\"config\": {\"input\": {\"include_text\": " + includeText + "}}}");
        return dir;
    }
}
