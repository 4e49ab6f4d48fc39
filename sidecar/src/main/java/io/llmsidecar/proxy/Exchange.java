package io.llmsidecar.proxy;

import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.policy.Decision;
import io.llmsidecar.pricing.PricedModel;
import io.llmsidecar.tracing.RequestTrace;

/**
 * The facts gathered about one request while it moves through the pipeline, recorded once when it ends (metrics
 * and the access-log line) by {@link ExchangeRecorder}. Confined to the request's thread.
 */
final class Exchange {
    final String requestId;
    final String method;
    final String path;
    final long startNanos = System.nanoTime();
    /** Where the request sits in the app's trace; its server span ends when the exchange is recorded. */
    final RequestTrace trace;
    /** The governed API; {@code null} for pass-through and refused routes. */
    Api api;
    String model = "";
    /** The policy revision that decided, for the access log; empty when none was loaded. */
    String policyRevision = "";
    /** The decision-log id of the decision that admitted it; empty when policy checks are off. */
    String decisionId = "";
    Subject subject;
    Estimate estimate;
    Outcome outcome = Outcome.ERROR;
    int status = 500;
    String code = "";
    /** The kind of the error the request ended with, {@code null} when none. */
    ErrorKind errorKind;
    /** The completion limit the forwarded request asked for, -1 when none. */
    long maxTokens = -1;
    Completion completion;
    /** What the policy decided and what the detectors found (kinds only); {@code null} when no policy ran. */
    Decision decision;
    Findings findings;
    /** How far the budget step got; {@code null} when the request never reached it. */
    BudgetStep budget;
    /** The gateway's own model and finish reasons, read only for a recording trace. */
    AnswerFacts answer = AnswerFacts.NONE;

    Exchange(String requestId, String method, String path, RequestTrace trace) {
        this.requestId = requestId;
        this.method = method;
        this.path = path;
        this.trace = trace;
    }

    void rejected(SidecarException e) {
        outcome = Outcome.of(e);
        status = e.status();
        code = e.code();
        errorKind = e.kind();
    }

    void completed(Completion c) {
        completion = c;
        status = c.status();
        outcome = c.outcome();
        if (c.fault() != null) {
            code = c.fault().code();
            errorKind = c.fault().kind();
        }
    }

    Usage usage() {
        return completion == null ? Usage.NONE : completion.usage();
    }

    /** The price-book model this request is billed under, if it has a price. */
    PricedModel pricedModel() {
        return estimate == null ? null : estimate.model().orElse(null);
    }
}
