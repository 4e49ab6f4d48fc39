package io.llmsidecar.proxy;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;
import io.llmsidecar.openai.Api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code server} node: the socket applications call.
 *
 * @param host              address to bind; loopback by default so only the pod's own containers can reach it
 * @param port              port to bind ({@code SIDECAR_PORT}); 0 picks a free one (tests)
 * @param maxBodySize       largest request body accepted, in bytes; larger ones get 413 without being forwarded
 * @param passthroughRoutes the read-only routes forwarded without policy or budget ({@code server.passthrough-routes},
 *                          {@code "GET /v1/models/{id}"} each); every other route that is not governed answers 404
 * @param accessLog         whether to log one line per request (never prompts or keys)
 * @param maxInflightBodyBytes the request bodies and whole gateway answers held in memory at once, in bytes
 *                          ({@code server.max-inflight-body-bytes}); at least {@code maxBodySize}
 * @param inflightBodyWait  how long a body waits for room under that limit before it gets 503
 *                          ({@code server.inflight-body-wait})
 */
public record ProxyConfig(String host, int port, long maxBodySize, List<String> passthroughRoutes,
                          boolean accessLog, long maxInflightBodyBytes, Duration inflightBodyWait) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8686;
    public static final long DEFAULT_MAX_BODY_SIZE = 4L * 1024 * 1024;
    public static final List<String> DEFAULT_PASSTHROUGH_ROUTES = PassthroughRoute.DEFAULTS;
    /**
     * Two bodies of the default maximum size, or twenty 400 KB coding-agent prompts, at once. A body costs the heap
     * several times its size while it is parsed, tokenized, scanned and re-serialised: measured with 64 connections
     * of 400 KB prompts (docs/BENCHMARKS.md, issue 19 item 12), the image's 65 MiB heap ran out with 16 MiB of
     * bodies in flight and held 8 MiB at 100 requests/s.
     */
    public static final long DEFAULT_MAX_INFLIGHT_BODY_BYTES = 8L * 1024 * 1024;
    public static final Duration DEFAULT_INFLIGHT_BODY_WAIT = Duration.ofSeconds(5);

    /** The limits of the tests and tools that only care about routes. */
    public ProxyConfig(String host, int port, long maxBodySize, List<String> passthroughRoutes, boolean accessLog) {
        this(host, port, maxBodySize, passthroughRoutes, accessLog,
             Math.max(maxBodySize, DEFAULT_MAX_INFLIGHT_BODY_BYTES), DEFAULT_INFLIGHT_BODY_WAIT);
    }

    public ProxyConfig {
        passthroughRoutes = List.copyOf(passthroughRoutes);
        for (String route : passthroughRoutes) {
            StringBuilder problem = new StringBuilder();
            if (PassthroughRoute.parse(route, problem).isEmpty()) {
                throw ConfigValues.invalid("server.passthrough-routes", route, problem.toString());
            }
            for (Api api : Api.values()) {
                if (route.strip().endsWith(" " + api.route())) {
                    throw ConfigValues.invalid("server.passthrough-routes", route,
                                               "a route other than the governed " + api.route());
                }
            }
        }
    }

    public static ProxyConfig create(Config node) {
        long maxBody = ConfigValues.byteSize(node.get("max-body-size"), DEFAULT_MAX_BODY_SIZE);
        if (maxBody < 1024 || maxBody > Integer.MAX_VALUE - 8) {
            throw ConfigValues.invalid(node.get("max-body-size"), String.valueOf(maxBody),
                                       "a size from 1KiB to 2GiB, such as 4MiB");
        }
        long inflight = ConfigValues.byteSize(node.get("max-inflight-body-bytes"),
                                              Math.max(maxBody, DEFAULT_MAX_INFLIGHT_BODY_BYTES));
        if (inflight < maxBody || inflight > 2L * 1024 * 1024 * 1024) {
            throw ConfigValues.invalid(node.get("max-inflight-body-bytes"), String.valueOf(inflight),
                                       "a size from server.max-body-size (SIDECAR_MAX_BODY_SIZE, now " + maxBody
                                       + " bytes) to 2GiB, such as 8MiB: one body of the largest size must fit");
        }
        if (node.get("passthrough").exists()) {
            throw ConfigValues.invalid(node.get("passthrough"), node.get("passthrough").asString().orElse(""),
                                       "no value: server.passthrough (SIDECAR_PASSTHROUGH) was removed because it "
                                       + "forwarded every /v1/* path unchecked; list read-only routes in "
                                       + "server.passthrough-routes (SIDECAR_PASSTHROUGH_ROUTES) instead");
        }
        return new ProxyConfig(ConfigValues.string(node.get("host"), DEFAULT_HOST),
                               ConfigValues.port(node.get("port"), DEFAULT_PORT),
                               maxBody,
                               routes(node.get("passthrough-routes")),
                               ConfigValues.bool(node.get("access-log"), true),
                               inflight,
                               ConfigValues.duration(node.get("inflight-body-wait"), DEFAULT_INFLIGHT_BODY_WAIT));
    }

    /** A YAML list, or one comma-separated string (as the environment variable gives it); default the model lists. */
    private static List<String> routes(Config node) {
        if (!node.exists()) {
            return DEFAULT_PASSTHROUGH_ROUTES;
        }
        List<String> routes = new ArrayList<>();
        if (node.isLeaf()) {
            for (String part : node.asString().orElse("").split(",")) {
                if (!part.isBlank()) {
                    routes.add(part.strip());
                }
            }
        } else {
            node.asList(String.class).orElse(List.of()).forEach(r -> routes.add(r.strip()));
        }
        return routes;
    }
}
