package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;

/** How far a governed request got with its budgets: the {@code llm_sidecar.budget.outcome} span attribute. */
enum BudgetStep {
    /** Held, then released: the request produced nothing billable (the call failed before an answer). */
    RESERVED("released"),
    /** Held, then billed what the gateway reported (or the estimate when it reported nothing). */
    SETTLED("settled"),
    /** Not budgeted: token counting costs nothing. */
    UNBUDGETED("unbudgeted"),
    EXCEEDED("exceeded"),
    RATE_LIMITED("rate_limited"),
    /** The store could not be reached and the sidecar fails closed. */
    UNAVAILABLE("unavailable");

    private final String label;

    BudgetStep(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    /** What a refusal from the reservation means. */
    static BudgetStep refused(SidecarException e) {
        return switch (e.kind()) {
            case BUDGET_EXCEEDED -> EXCEEDED;
            case RATE_LIMITED -> RATE_LIMITED;
            default -> UNAVAILABLE;
        };
    }
}
