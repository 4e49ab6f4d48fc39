package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests are answered by the sidecar in the OpenAI error shape and never reach the gateway. */
class BadInputIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static StubUpstream upstream;
    private static TestSidecar sidecar;

    @BeforeAll
    static void start() {
        upstream = StubUpstream.start();
        sidecar = TestSidecar.start(upstream, Map.of("server.max-body-size", "2KiB"));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        upstream.close();
    }

    @AfterEach
    void nothingWasForwarded() {
        assertEquals(0, upstream.requestCount(), "a rejected request reached the gateway");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{not json                                                          | invalid_json | ",
            "[]                                                                 | invalid_type | ",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}             | missing_required_parameter | model",
            "{\"model\":[],\"messages\":[{\"role\":\"user\"}]}                  | invalid_type | model",
            "{\"model\":\"m\",\"messages\":[]}                                  | empty_array | messages",
            "{\"model\":\"m\",\"messages\":\"hi\"}                              | invalid_type | messages",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\"}]}             | invalid_value | messages[0].role",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":0}          | integer_below_min_value | max_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_completion_tokens\":0} | integer_below_min_value | max_completion_tokens",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"temperature\":3}         | invalid_value | temperature",
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":1}              | invalid_type | stream",
    })
    void rejectsWith400NamingTheParameter(String body, String code, String param) throws Exception {
        HttpResponse<String> response = sidecar.chat(body);
        assertEquals(400, response.statusCode());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertEquals(code, error.get("code").asText());
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.has("param"));
        assertEquals(param == null ? null : param, error.get("param").isNull() ? null : error.get("param").asText());
        assertTrue(error.get("message").asText().length() > 10);
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
    }

    @Test
    void aBodyOverTheLimitIs413WhetherSizedOrChunked() {
        String big = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(3000) + "\"}]}";
        HttpResponse<String> sized = sidecar.chat(big);
        assertEquals(413, sized.statusCode());
        UpstreamFailuresIT.assertErrorShape(sized.body(), "request_too_large", "invalid_request_error");

        HttpResponse<String> chunked = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())))
                .build());
        assertEquals(413, chunked.statusCode());
    }

    @Test
    void theWrongMethodIs405WithAllow() {
        HttpResponse<String> response = sidecar.get("/v1/chat/completions");
        assertEquals(405, response.statusCode());
        assertEquals("POST", response.headers().firstValue("allow").orElseThrow());
        UpstreamFailuresIT.assertErrorShape(response.body(), "method_not_allowed", "invalid_request_error");
        response = sidecar.send(HttpRequest.newBuilder(sidecar.url("/models"))
                                        .DELETE().build());
        assertEquals(405, response.statusCode());
    }

    @Test
    void anUnknownPathOutsideV1Is404() {
        for (String path : new String[] {"/", "/chat/completions", "/v2/chat/completions", "/metrics"}) {
            HttpResponse<String> response = sidecar.get(path);
            assertEquals(404, response.statusCode(), path);
            UpstreamFailuresIT.assertErrorShape(response.body(), "not_found", "invalid_request_error");
        }
    }

    @Test
    void anOverlongTeamHeaderIsRefused() {
        HttpResponse<String> response = sidecar.chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}",
                                                     "x-llm-team", "t".repeat(200));
        assertEquals(400, response.statusCode());
    }
}
