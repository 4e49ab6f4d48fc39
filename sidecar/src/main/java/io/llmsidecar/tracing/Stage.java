package io.llmsidecar.tracing;

/** A step of the admission pipeline that gets a child span of the request's server span. */
public enum Stage {
    /** The detectors' scan and the policy's evaluation. */
    POLICY("llm_sidecar.policy"),
    /** The hold on budgets and rate limits before the call. */
    BUDGET_RESERVE("llm_sidecar.budget.reserve"),
    /** Billing what the gateway reported instead of the hold. */
    BUDGET_SETTLE("llm_sidecar.budget.settle");

    private final String spanName;

    Stage(String spanName) {
        this.spanName = spanName;
    }

    String spanName() {
        return spanName;
    }
}
