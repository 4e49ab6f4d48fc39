package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.http.ErrorResponses;
import io.llmsidecar.http.ErrorShape;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.lifecycle.InFlight;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.WireFamily;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.pricing.Estimator;
import io.llmsidecar.tokens.TokenCounter;
import io.llmsidecar.tracing.RequestTrace;
import io.llmsidecar.tracing.Tracing;

import java.util.EnumMap;
import java.util.Map;

/**
 * The app-facing socket. Helidon's router matches normalized paths ({@code //v1/chat/completions} and
 * {@code /v1/chat%2Fcompletions} would match {@code /v1/chat/completions}), so it is not used to route: one
 * handler takes every request and the {@link RouteTable} decides on the raw request target. Refusals are recorded
 * like any other request and answered in the OpenAI error shape.
 */
public final class ProxyRouting {
    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    private static final HeaderName TRACESTATE = HeaderNames.create("tracestate");

    private final RouteTable routes;
    private final Map<Api, GovernedHandler> governed;
    private final PassthroughHandler passthrough;
    private final ExchangeRecorder recorder;
    private final Tracing tracing;

    private ProxyRouting(RouteTable routes, Map<Api, GovernedHandler> governed, PassthroughHandler passthrough,
                         ExchangeRecorder recorder, Tracing tracing) {
        this.tracing = tracing;
        this.routes = routes;
        this.governed = governed;
        this.passthrough = passthrough;
        this.recorder = recorder;
    }

    /** Assembles the pipeline's parts into the app-facing routes. */
    public static HttpRouting.Builder create(ProxyConfig config, UpstreamClient upstream, SubjectResolver subjects,
                                             Estimator estimator, PolicyEngine policy, BudgetService budgets,
                                             TokenCounter tokens, SidecarMetrics metrics, InFlight inFlight,
                                             Tracing tracing) {
        ExchangeRecorder recorder = new ExchangeRecorder(metrics, config.accessLog(), policy);
        RequestBodies bodies = new RequestBodies(config.maxBodySize());
        BodyBudget budget = new BodyBudget(config.maxInflightBodyBytes(), config.inflightBodyWait());
        metrics.bodiesInFlight(budget::inFlight, budget::capacity, budget::refusals);
        ApiForwarder forwarder = new ApiForwarder(upstream, tokens, inFlight);
        Map<Api, GovernedHandler> governed = new EnumMap<>(Api.class);
        for (Api api : Api.values()) {
            governed.put(api, new GovernedHandler(api, bodies, budget, subjects, estimator, policy, budgets,
                                                  forwarder));
        }
        ProxyRouting routing = new ProxyRouting(RouteTable.create(config), governed,
                                                new PassthroughHandler(upstream), recorder, tracing);
        return ErrorResponses.install(HttpRouting.builder().any(routing::route));
    }

    /**
     * What every request on the app socket goes through, whatever its route: its id (kept or made, and returned),
     * the error shape of the API it called, its {@link Exchange}, made here and recorded here once it ends.
     */
    private void route(ServerRequest req, ServerResponse res) {
        String method = req.prologue().method().text();
        // The prologue's path is the target as sent (percent-encoding, dot segments and all), without the query.
        String rawPath = req.prologue().uriPath().rawPath();
        Route route = routes.resolve(method, rawPath, req.query().rawValue());
        Exchange ex = new Exchange(RequestIds.of(req.headers()), method, rawPath, trace(route, method, rawPath,
                                                                                        req.headers()));
        res.header(RequestIds.HEADER, ex.requestId);
        req.context().register(new ErrorShape(familyOf(route, rawPath), ex.requestId));
        try {
            switch (route) {
                case Route.Governed g -> governed.get(g.api()).handle(req, res, ex);
                case Route.Passthrough p -> passthrough.handle(p.route(), req, res, ex);
                case Route.Refused refused -> throw refused.error();
            }
        } catch (SidecarException e) {
            ex.rejected(e);
            throw e;
        } finally {
            recorder.record(ex);
        }
    }

    /**
     * The request's trace, continuing the app's {@code traceparent}: one header, or none (sent twice it is malformed,
     * and a new trace starts); {@code tracestate} may come in several, joined as W3C Trace Context says.
     */
    private RequestTrace trace(Route route, String method, String rawPath, Headers headers) {
        String parent = headers.contains(TRACEPARENT) && headers.get(TRACEPARENT).allValues().size() == 1
                ? headers.get(TRACEPARENT).get()
                : null;
        String state = headers.contains(TRACESTATE) ? String.join(",", headers.get(TRACESTATE).allValues()) : null;
        return route instanceof Route.Governed g
                ? tracing.governed(g.api(), method, RequestTarget.printable(rawPath), parent, state)
                : tracing.other(parent, state);
    }

    private static WireFamily familyOf(Route route, String rawPath) {
        return switch (route) {
            case Route.Governed g -> g.api().family();
            case Route.Refused r -> r.family();
            case Route.Passthrough p -> RouteTable.familyOf(rawPath);
        };
    }
}
