package io.llmsidecar.proxy;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.PricedModel;

/**
 * The facts gathered about one request while it moves through the pipeline, recorded once when it ends (metrics
 * and the access-log line) by {@link ExchangeRecorder}. Confined to the request's thread.
 */
final class Exchange {
    final String requestId;
    final String method;
    final String path;
    final long startNanos = System.nanoTime();
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
    Completion completion;

    Exchange(String requestId, String method, String path) {
        this.requestId = requestId;
        this.method = method;
        this.path = path;
    }

    void rejected(SidecarException e) {
        outcome = Outcome.of(e);
        status = e.status();
        code = e.code();
    }

    void completed(Completion c) {
        completion = c;
        status = c.status();
        outcome = c.outcome();
        if (c.fault() != null) {
            code = c.fault().code();
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
