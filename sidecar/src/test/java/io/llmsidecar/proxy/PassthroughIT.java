package io.llmsidecar.proxy;

import io.llmsidecar.testing.StubUpstream;
import io.llmsidecar.testing.TestSidecar;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static io.llmsidecar.testing.StubUpstream.cassette;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model lists, the gateway's price map and other /v1 paths. */
class PassthroughIT {
    @Test
    void modelListsAreForwardedWithTheSidecarsKey() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of())) {
            upstream.on("/v1/models", StubUpstream.json(200, cassette("openai-models-list.json")));
            upstream.on("/models", StubUpstream.json(200, cassette("models.json")));

            HttpResponse<String> list = sidecar.get("/v1/models");
            assertEquals(200, list.statusCode());
            assertEquals(cassette("openai-models-list.json"), list.body());
            StubUpstream.Recorded r = upstream.awaitRequest(Duration.ofSeconds(5));
            assertEquals("GET /v1/models", r.method() + " " + r.path());
            assertEquals("Bearer " + TestSidecar.KEY, r.header("authorization"));

            HttpResponse<String> prices = sidecar.get("/models");
            assertEquals(cassette("models.json"), prices.body());
            assertEquals("/models", upstream.awaitRequest(Duration.ofSeconds(5)).path());
        }
    }

    @Test
    void thePriceBookLoadsTheGatewaysPricesInTheBackground() throws Exception {
        try (StubUpstream upstream = StubUpstream.start()) {
            upstream.on("/models", StubUpstream.json(200, cassette("models.json")));
            try (TestSidecar sidecar = TestSidecar.start(upstream, Map.of("pricing.refresh-interval", "1h"))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (sidecar.sidecar().priceBook().gatewayUpdatedAt().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                var opus = sidecar.sidecar().priceBook().find("anthropic/claude-opus").orElseThrow();
                assertEquals(15_000_000, opus.price().inputPico());
                assertEquals(1, sidecar.sidecar().priceBook().gatewayModelCount());
                assertEquals("Bearer " + TestSidecar.KEY, upstream.requests().getFirst().header("authorization"));
            }
        }
    }

    @Test
    void otherV1PathsPassThroughWithMethodQueryAndBody() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of())) {
            upstream.on("/v1/embeddings", StubUpstream.json(200, "{\"object\":\"list\",\"data\":[]}"));
            String body = "{\"model\":\"text-embedding-3-small\",\"input\":\"hello\"}";
            HttpResponse<String> response = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/embeddings?x=1&y=2"))
                    .header("Authorization", "Bearer app-key")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
            assertEquals(200, response.statusCode());
            assertEquals("{\"object\":\"list\",\"data\":[]}", response.body());
            StubUpstream.Recorded r = upstream.awaitRequest(Duration.ofSeconds(5));
            assertEquals("POST", r.method());
            assertEquals("/v1/embeddings", r.path());
            assertEquals("x=1&y=2", r.query());
            assertEquals(body, r.bodyText());
            assertEquals("Bearer " + TestSidecar.KEY, r.header("authorization"));
            sidecar.metricsContaining("outcome=\"passthrough\",status=\"200\"");
        }
    }

    @Test
    void withPassthroughOffOtherV1PathsAre404AndNeverForwarded() {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("server.passthrough", "false"))) {
            HttpResponse<String> response = sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
            assertEquals(404, response.statusCode());
            assertEquals(0, upstream.requestCount());
        }
    }

    @Test
    void passThroughModeForwardsTheAppsOwnKeyOnlyWhenEnabled() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("upstream.forward-client-authorization",
                                                                      "true"))) {
            sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                         "Authorization", "Bearer app-key");
            assertEquals("Bearer app-key", upstream.awaitRequest(Duration.ofSeconds(5)).header("authorization"));
            sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
            assertEquals("Bearer " + TestSidecar.KEY,
                         upstream.awaitRequest(Duration.ofSeconds(5)).header("authorization"));
        }
    }

    @Test
    void withoutAnyKeyNoAuthorizationIsInvented() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(Map.of("upstream.url", upstream.baseUrl()),
                                                     java.util.Optional.empty())) {
            sidecar.chat("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                         "Authorization", "Bearer app-key");
            assertNull(upstream.awaitRequest(Duration.ofSeconds(5)).header("authorization"));
        }
    }
}
