package io.llmsidecar.proxy;

import io.llmsidecar.config.ConfigException;
import io.llmsidecar.openai.Api;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteTableTest {
    private static final RouteTable TABLE = RouteTable.create(
            new ProxyConfig("127.0.0.1", 0, 4096, ProxyConfig.DEFAULT_PASSTHROUGH_ROUTES, false));

    private static Route.Refused refused(String method, String path, String query) {
        return assertInstanceOf(Route.Refused.class, TABLE.resolve(method, path, query));
    }

    @Test
    void governsEveryApiOnPost() {
        for (Api api : Api.values()) {
            assertEquals(new Route.Governed(api), TABLE.resolve("POST", api.route(), ""));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions/", "//v1/chat/completions", "/v1//chat/completions",
                            "/v1/chat%2Fcompletions", "/v1/./chat/completions", "/v1/x/../chat/completions",
                            "/v1/chat/completions;x=1", "http://127.0.0.1/v1/chat/completions", "*",
                            "127.0.0.1:443", "/v1/chat/completions/.", "/v1/ch%61t/completions", "/v1/chat\\completions",
                            "", "/v1/models/..", "/v1/models/a%2Fb"})
    void refusesNonCanonicalTargets(String target) {
        Route.Refused r = refused("POST", target, "");
        assertEquals(400, r.error().status(), target);
        assertEquals("non_canonical_path", r.error().code());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/V1/chat/completions", "/v1/Chat/Completions", "/v1/files", "/v1/batches",
                            "/v1/audio/speech", "/v1/images/generations", "/v1/fine_tuning/jobs", "/v1",
                            "/v1/models/a/b", "/v1/chat/completions/x", "/admin/budgets"})
    void answers404ForAnythingElse(String path) {
        Route.Refused r = refused("POST", path, "");
        assertEquals(404, r.error().status(), path);
        assertEquals("not_found", r.error().code());
    }

    @Test
    void pointsOutTheCaseOfAGovernedPath() {
        assertTrue(refused("POST", "/V1/Chat/Completions", "").error().getMessage()
                           .contains("case-sensitive: use /v1/chat/completions"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PATCH", "CONNECT"})
    void refusesOtherMethodsOnGovernedPathsWithAllow(String method) {
        Route.Refused r = refused(method, "/v1/responses", "");
        assertEquals(405, r.error().status());
        assertEquals("POST", r.error().headers().get("Allow"));
    }

    @Test
    void refusesAQueryOnGovernedRoutes() {
        assertEquals("unsupported_query", refused("POST", "/v1/chat/completions", "api-version=1").error().code());
    }

    @Test
    void passesTheModelListsThroughOnGet() {
        assertInstanceOf(Route.Passthrough.class, TABLE.resolve("GET", "/v1/models", ""));
        assertInstanceOf(Route.Passthrough.class, TABLE.resolve("GET", "/v1/models/gpt-4o-mini", "limit=2"));
        assertInstanceOf(Route.Passthrough.class, TABLE.resolve("GET", "/models", null));
        assertEquals(405, refused("POST", "/v1/models", "").error().status());
        assertEquals("GET", refused("DELETE", "/v1/models/x", "").error().headers().get("Allow"));
        assertEquals("unsupported_query", refused("GET", "/v1/models", "a=<b>").error().code());
    }

    @Test
    void extraPassthroughRoutesComeFromConfig() {
        RouteTable table = RouteTable.create(new ProxyConfig("127.0.0.1", 0, 4096,
                List.of("GET /v1/models", "GET /v1/files/{id}/content"), false));
        assertInstanceOf(Route.Passthrough.class, table.resolve("GET", "/v1/files/file-1/content", ""));
        assertEquals(404, assertInstanceOf(Route.Refused.class, table.resolve("GET", "/models", ""))
                .error().status());
    }

    @Test
    void configRefusesRoutesThatWouldOpenAHole() {
        for (String route : List.of("POST /v1/files", "GET /v1/*", "GET /v1/chat/completions", "GET /admin/x",
                                    "GET /v1//models", "GET /v1/../admin", "GET")) {
            ConfigException e = assertThrows(ConfigException.class, () ->
                    new ProxyConfig("127.0.0.1", 0, 4096, List.of(route), false), route);
            assertTrue(e.getMessage().contains("server.passthrough-routes"), e.getMessage());
        }
    }
}
