package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.budget.Reservation;
import io.llmsidecar.detect.ChatPromptTexts;
import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.policy.PolicyInput;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.Estimator;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code POST /v1/chat/completions}: the sidecar's request pipeline, one step per line. Anything refused is refused
 * before a byte goes upstream.
 */
final class ChatCompletionsHandler implements Handler {
    /** Tells the caller which fields a policy changed, e.g. {@code max_tokens,model}. */
    static final HeaderName PATCHED_HEADER = HeaderNames.create("x-llm-sidecar-patched");

    private final RequestBodies bodies;
    private final SubjectResolver subjects;
    private final Estimator estimator;
    private final PolicyEngine policy;
    private final BudgetService budgets;
    private final ChatForwarder forwarder;
    private final ExchangeRecorder recorder;

    ChatCompletionsHandler(RequestBodies bodies, SubjectResolver subjects, Estimator estimator, PolicyEngine policy,
                           BudgetService budgets, ChatForwarder forwarder, ExchangeRecorder recorder) {
        this.bodies = bodies;
        this.subjects = subjects;
        this.estimator = estimator;
        this.policy = policy;
        this.budgets = budgets;
        this.forwarder = forwarder;
        this.recorder = recorder;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) {
        Exchange ex = new Exchange(RequestIds.of(req.headers()), "POST", "/v1/chat/completions");
        res.header(RequestIds.HEADER, ex.requestId);
        try {
            ChatRequest request = ChatRequest.parse(bodies.read(req));          // 400/413, nothing forwarded
            ex.model = request.model();
            ex.subject = subjects.resolve(req.headers(), request);
            ex.estimate = estimator.estimate(request);                          // tokens and the most it can cost
            if (policy.enabled()) {
                Findings findings = policy.detectors().scan(ChatPromptTexts.of(request.messages())); // kinds, places
                Decision decision = policy.evaluate(PolicyInput.of(ex.requestId, request, ex.subject, ex.estimate,
                                                                   budgets.statuses(ex.subject, request.model()),
                                                                   findings));
                ex.policyRevision = decision.revision();
                request = applied(decision, request, ex, res);                  // 403 / 503, nothing forwarded
            }
            Estimate budgeted = allChoices(request, ex.estimate);
            try (Reservation reservation = budgets.reserve(ex.subject, request.model(), budgeted)) { // 429, 503
                ex.completed(forwarder.forward(withCompletionLimit(request, ex.estimate, reservation), ex.estimate,
                                               reservation.completionLimit(), req.headers(), ex.requestId, res));
                reservation.settle(ex.usage());                                 // bill what it used, not the hold
            }
        } catch (SidecarException e) {
            ex.rejected(e);
            throw e;
        } finally {
            recorder.record(ex);
        }
    }

    /**
     * The estimate across all {@code n} choices, which is what a budget must hold. Temporary: the Estimator will
     * include {@code n} and a ForwardPlan will carry the completion limit.
     */
    private static Estimate allChoices(ChatRequest request, Estimate estimate) {
        var n = request.json().get("n");
        int choices = n != null && n.canConvertToInt() && n.intValue() > 1 ? n.intValue() : 1;
        if (choices == 1) {
            return estimate;
        }
        long completion = Math.multiplyExact(estimate.maxCompletionTokens(), choices);
        return new Estimate(estimate.promptTokens(), completion, estimate.model()
                .map(m -> m.price().maxCostNanos(estimate.promptTokens(), completion)).orElse(0L), estimate.model());
    }

    /**
     * The request with the completion limit the budget covers, when the app set none: the gateway then cannot
     * produce more than the reservation holds ({@code max_tokens} is per choice).
     */
    private static ChatRequest withCompletionLimit(ChatRequest request, Estimate estimate, Reservation reservation) {
        if (request.maxTokens().isPresent() || reservation.completionLimit().isEmpty()) {
            return request;
        }
        int limit = (int) Math.min(Integer.MAX_VALUE, estimate.maxCompletionTokens());
        return request.withPatch(new RequestPatch(Optional.empty(), OptionalInt.of(limit)));
    }

    /**
     * The request to forward: unchanged, or patched and re-estimated, because budgets must price what is actually
     * sent. A denial or (when failing closed) a policy error ends the request here.
     */
    private ChatRequest applied(Decision decision, ChatRequest request, Exchange ex, ServerResponse res) {
        return switch (decision) {
            case Decision.Deny deny -> throw deny.toException();
            case Decision.Failed failed -> throw failed.toException();
            case Decision.Allow allow when allow.patch().isEmpty() -> request;
            case Decision.Allow allow -> {
                ChatRequest patched = request.withPatch(allow.patch());
                ex.model = patched.model();
                ex.estimate = estimator.estimate(patched);
                res.header(PATCHED_HEADER, allow.patchedFields());
                yield patched;
            }
        };
    }
}
