package io.llmsidecar.proxy;

import io.helidon.http.HttpException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.lifecycle.InFlight;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.pricing.Estimator;
import io.llmsidecar.tokens.TokenCounter;

/**
 * The routes of the app-facing socket. Known paths with the wrong method get 405, anything outside {@code /v1}
 * (and {@code /models}) 404, both in the OpenAI error shape.
 */
public final class ProxyRouting {
    private ProxyRouting() {
    }

    /** Assembles the pipeline's parts into the app-facing routes. */
    public static HttpRouting.Builder create(ProxyConfig config, UpstreamClient upstream, SubjectResolver subjects,
                                             Estimator estimator, PolicyEngine policy, BudgetService budgets,
                                             TokenCounter tokens, SidecarMetrics metrics, InFlight inFlight) {
        ExchangeRecorder recorder = new ExchangeRecorder(metrics, config.accessLog());
        Handler chat = new ChatCompletionsHandler(new RequestBodies(config.maxBodySize()), subjects, estimator,
                                                  policy, budgets, new ChatForwarder(upstream, tokens, inFlight),
                                                  recorder);
        Handler v1Passthrough = PassthroughHandler.v1(upstream, recorder);
        Handler gatewayModels = PassthroughHandler.gatewayModels(upstream, recorder);
        HttpRouting.Builder routing = HttpRouting.builder()
                .post("/v1/chat/completions", chat)
                .any("/v1/chat/completions", methodNotAllowed("POST"))
                .get("/v1/models", v1Passthrough)
                .any("/v1/models", methodNotAllowed("GET"))
                .get("/models", gatewayModels)
                .any("/models", methodNotAllowed("GET"));
        if (config.passthrough()) {
            routing.any("/v1/*", v1Passthrough);
        }
        return routing
                .any((req, res) -> {
                    throw SidecarException.notFound(req.path().absolute().rawPath());
                })
                .error(SidecarException.class, ErrorResponses::write)
                .error(HttpException.class, ErrorResponses::write)
                .error(Exception.class, ErrorResponses::unexpected);
    }

    private static Handler methodNotAllowed(String allowed) {
        return (req, res) -> {
            throw SidecarException.methodNotAllowed(req.prologue().method().text(),
                                                    req.path().absolute().rawPath(), allowed);
        };
    }
}
