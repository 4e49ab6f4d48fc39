package io.llmsidecar.proxy;

import io.llmsidecar.testing.Project;
import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the app sees when the gateway answers with an error, cannot be reached or does not answer in time. */
class UpstreamFailuresIT {
    private static final String BODY = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void gatewayErrorsPassThroughWithStatusBodyAndHeaders() {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of())) {
            upstream.otherwise(StubUpstream.json(500, cassette("error-500.json")));
            HttpResponse<String> response = sidecar.chat(BODY);
            assertEquals(500, response.statusCode());
            assertEquals(cassette("error-500.json"), response.body());

            upstream.otherwise((exchange, request) -> {
                exchange.getResponseHeaders().set("Retry-After", "7");
                StubUpstream.json(429, "{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\","
                                       + "\"param\":null,\"code\":\"rate_limit_exceeded\"}}").respond(exchange, request);
            });
            response = sidecar.chat(BODY);
            assertEquals(429, response.statusCode());
            assertEquals("7", response.headers().firstValue("retry-after").orElseThrow());
            assertTrue(response.body().contains("rate_limit_exceeded"));
            sidecar.metricsContaining("outcome=\"upstream_error\",status=\"429\"");
        }
    }

    @Test
    void anUnreachableGatewayIs502() throws Exception {
        int closedPort = Project.freePort();
        try (TestSidecar sidecar = TestSidecar.start(Map.of("upstream.url", "http://127.0.0.1:" + closedPort + "/v1",
                                                            "upstream.api-key", TestSidecar.KEY),
                                                     java.util.Optional.empty())) {
            HttpResponse<String> response = sidecar.chat(BODY);
            assertEquals(502, response.statusCode());
            assertErrorShape(response.body(), "upstream_unreachable", "server_error");
            sidecar.metricsContaining("outcome=\"upstream_error\",status=\"502\"");
        }
    }

    @Test
    void aGatewayThatDoesNotAnswerInTimeIs504() {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("upstream.read-timeout", "400ms"))) {
            upstream.otherwise(StubUpstream.silent(Duration.ofSeconds(3)));
            long start = System.nanoTime();
            HttpResponse<String> response = sidecar.chat(BODY);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(504, response.statusCode());
            assertErrorShape(response.body(), "upstream_timeout", "server_error");
            assertTrue(millis < 2500, "took " + millis + " ms for a 400 ms read timeout");
        }
    }

    static void assertErrorShape(String body, String code, String type) {
        assertTrue(body.startsWith("{\"error\":{\"message\":\""), body);
        assertTrue(body.contains("\"type\":\"" + type + "\""), body);
        assertTrue(body.contains("\"param\":"), body);
        assertTrue(body.contains("\"code\":\"" + code + "\""), body);
    }
}
