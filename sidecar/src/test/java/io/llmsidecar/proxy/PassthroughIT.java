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

/** Model lists, the gateway's price map, configured read-only routes; other /v1 paths are never forwarded. */
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
    void aModelIsLookedUpByIdWithItsQuery() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of())) {
            upstream.on("/v1/models/gpt-4o-mini", StubUpstream.json(200, "{\"id\":\"gpt-4o-mini\"}"));
            HttpResponse<String> response = sidecar.get("/v1/models/gpt-4o-mini?x=1");
            assertEquals(200, response.statusCode());
            StubUpstream.Recorded r = upstream.awaitRequest(Duration.ofSeconds(5));
            assertEquals("GET /v1/models/gpt-4o-mini x=1", r.method() + " " + r.path() + " " + r.query());
            assertEquals("Bearer " + TestSidecar.KEY, r.header("authorization"));
            sidecar.metricsContaining("outcome=\"passthrough\",status=\"200\"");
        }
    }

    @Test
    void otherV1PathsAre404AndNeverForwarded() {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of())) {
            for (String path : new String[] {"/v1/files", "/v1/batches", "/v1/assistants", "/v1/models/a/b"}) {
                HttpResponse<String> response = sidecar.send(HttpRequest.newBuilder(sidecar.url(path))
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
                assertEquals(404, response.statusCode(), path);
                UpstreamFailuresIT.assertErrorShape(response.body(), "not_found", "invalid_request_error");
            }
            assertEquals(0, upstream.requestCount());
        }
    }

    @Test
    void configuredReadOnlyRoutesPassThroughAndTheDefaultsCanBeReplaced() throws Exception {
        try (StubUpstream upstream = StubUpstream.start();
             TestSidecar sidecar = TestSidecar.start(upstream, Map.of("server.passthrough-routes",
                                                                      "GET /v1/files/{id}, GET /v1/models"))) {
            upstream.on("/v1/files/file-abc", StubUpstream.json(200, "{\"id\":\"file-abc\"}"));
            assertEquals(200, sidecar.get("/v1/files/file-abc").statusCode());
            assertEquals("/v1/files/file-abc", upstream.awaitRequest(Duration.ofSeconds(5)).path());
            assertEquals(404, sidecar.get("/models").statusCode(), "the list replaces the defaults");
            assertEquals(405, sidecar.send(HttpRequest.newBuilder(sidecar.url("/v1/files/file-abc"))
                    .DELETE().build()).statusCode());
            assertEquals(1, upstream.requestCount());
        }
    }

    @Test
    void theRemovedPassthroughSwitchStopsStartupWithWhatToDoInstead() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.llmsidecar.config.ConfigException.class,
                () -> TestSidecar.start(Map.of("server.passthrough", "true"), java.util.Optional.empty()));
        assertTrue(e.getMessage().contains("server.passthrough-routes"), e.getMessage());
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
