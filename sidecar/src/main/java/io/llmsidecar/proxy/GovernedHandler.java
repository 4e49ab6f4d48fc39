package io.llmsidecar.proxy;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.budget.BudgetService;
import io.llmsidecar.budget.Reservation;
import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.SubjectResolver;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.ApiRequest;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.policy.PolicyEngine;
import io.llmsidecar.policy.PolicyInput;
import io.llmsidecar.pricing.Estimator;
import io.llmsidecar.tracing.Stage;

/**
 * A governed route ({@code POST /v1/chat/completions}, {@code /v1/responses}, {@code /v1/embeddings},
 * {@code /v1/completions}, {@code /v1/messages}, {@code /v1/messages/count_tokens}): the sidecar's one admission
 * pipeline, one step per line, for every API dialect. Anything refused is refused before a byte goes upstream.
 */
final class GovernedHandler {
    /** Tells the caller which fields a policy changed, e.g. {@code max_tokens,model}. */
    static final HeaderName PATCHED_HEADER = HeaderNames.create("x-llm-sidecar-patched");

    private final Api api;
    private final RequestBodies bodies;
    private final BodyBudget budget;
    private final SubjectResolver subjects;
    private final Estimator estimator;
    private final PolicyEngine policy;
    private final BudgetService budgets;
    private final ApiForwarder forwarder;

    GovernedHandler(Api api, RequestBodies bodies, BodyBudget budget, SubjectResolver subjects, Estimator estimator,
                    PolicyEngine policy, BudgetService budgets, ApiForwarder forwarder) {
        this.api = api;
        this.bodies = bodies;
        this.budget = budget;
        this.subjects = subjects;
        this.estimator = estimator;
        this.policy = policy;
        this.budgets = budgets;
        this.forwarder = forwarder;
    }

    /**
     * Admits and forwards one request; the router has made its {@link Exchange} and records it. The body's bytes
     * (and a whole answer's) are held against the in-flight budget until the request ends, however it ends.
     */
    void handle(ServerRequest req, ServerResponse res, Exchange ex) {
        ex.api = api;
        EnforcementHeaders.check(req.headers());                                // 400, nothing forwarded
        try (BodyBudget.Lease lease = budget.lease()) {
            admit(req, res, ex, lease);
        }
    }

    private void admit(ServerRequest req, ServerResponse res, Exchange ex, BodyBudget.Lease lease) {
        ApiRequest request = api.parse(bodies.read(req, lease));               // 400/413/415/503, nothing forwarded
        ex.model = request.model();
        ex.subject = subjects.resolve(req.headers(), request.user());
        ex.estimate = estimator.estimate(request);                              // tokens of all n, the most it costs
        if (policy.enabled()) {
            ApiRequest checked = request;
            Decision decision = ex.trace.within(Stage.POLICY, () -> decide(checked, ex));
            ex.policyRevision = decision.revision();
            request = applied(decision, request, ex, res);                      // 403 / 503, nothing forwarded
        }
        ApiRequest admitted = request;
        ex.maxTokens = request.maxTokens().orElse(-1);
        try (Reservation reservation = ex.trace.within(Stage.BUDGET_RESERVE, () -> reserve(admitted, ex))) { // 429
            ForwardPlan plan = ForwardPlan.of(request, ex.estimate, reservation.completionLimit(),
                                              req.query().rawValue());
            ex.completed(forwarder.forward(plan, ex.estimate, req.headers(), ex, res, lease));
            ex.trace.run(Stage.BUDGET_SETTLE, () -> reservation.settle(ex.usage())); // bill what it used
            ex.budget = api.billable() ? BudgetStep.SETTLED : BudgetStep.UNBUDGETED;
        }
    }

    /** The detectors' findings (kinds and places, no text), then the policy's decision on the request. */
    private Decision decide(ApiRequest request, Exchange ex) {
        Findings findings = policy.detectors().scan(request.scannedTexts());
        ex.findings = findings;
        PolicyInput input = PolicyInput.of(ex.requestId, request, ex.subject, ex.estimate,
                                           budgets.statuses(ex.subject, request.model()), findings);
        Decision decision = policy.evaluate(input);
        ex.decisionId = input.decisionId();
        ex.decision = decision;
        return decision;
    }

    /** A hold on the budgets; none for calls that cost nothing (token counting), which no budget refuses. */
    private Reservation reserve(ApiRequest request, Exchange ex) {
        try {
            Reservation reservation = api.billable()
                    ? budgets.reserve(ex.subject, request.model(), ex.estimate)
                    : budgets.unbudgeted(ex.subject, request.model(), ex.estimate);
            ex.budget = api.billable() ? BudgetStep.RESERVED : BudgetStep.UNBUDGETED;
            return reservation;
        } catch (SidecarException e) {
            ex.budget = BudgetStep.refused(e);
            throw e;
        }
    }

    /**
     * The request to forward: unchanged, or patched and re-estimated, because budgets must price what is actually
     * sent. A denial or (when failing closed) a policy error ends the request here.
     */
    private ApiRequest applied(Decision decision, ApiRequest request, Exchange ex, ServerResponse res) {
        return switch (decision) {
            case Decision.Deny deny -> throw deny.toException();
            case Decision.Failed failed -> throw failed.toException();
            case Decision.Allow allow when allow.patch().isEmpty() -> request;
            case Decision.Allow allow -> {
                ApiRequest patched = request.withPatch(allow.patch());
                ex.model = patched.model();
                ex.estimate = estimator.estimate(patched);
                res.header(PATCHED_HEADER, allow.patchedFields());
                yield patched;
            }
        };
    }
}
