package io.llmsidecar.proxy;

/** How a request ended, as the {@code outcome} metric label and access-log field. */
public enum Outcome {
    ALLOWED("allowed"),
    DENIED_POLICY("denied_policy"),
    DENIED_BUDGET("denied_budget"),
    RATE_LIMITED("rate_limited"),
    UPSTREAM_ERROR("upstream_error"),
    INVALID("invalid"),
    /** A request the sidecar could not handle itself (policy or budget backend failing, internal error). */
    ERROR("error"),
    /** A {@code /v1/*} request forwarded without policy or budget checks. */
    PASSTHROUGH("passthrough");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The outcome of a request the sidecar refused itself, from the error's code and status. */
    public static Outcome of(io.llmsidecar.openai.SidecarException e) {
        return switch (e.code()) {
            case "policy_denied" -> DENIED_POLICY;
            case "budget_exceeded" -> DENIED_BUDGET;
            case "rate_limited" -> RATE_LIMITED;
            case "upstream_unreachable", "upstream_timeout" -> UPSTREAM_ERROR;
            default -> e.status() >= 500 ? ERROR : INVALID;
        };
    }
}
