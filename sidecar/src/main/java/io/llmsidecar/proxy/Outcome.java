package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;

/** How a request ended, as the {@code outcome} metric label and access-log field. */
public enum Outcome {
    ALLOWED("allowed"),
    DENIED_POLICY("denied_policy"),
    DENIED_BUDGET("denied_budget"),
    RATE_LIMITED("rate_limited"),
    /**
     * The gateway answered an error status (relayed as is when its body is JSON, wrapped in the OpenAI shape with
     * its status kept when not), or could not be reached, or did not answer in time.
     */
    UPSTREAM_ERROR("upstream_error"),
    /**
     * The gateway answered success with a body that is no answer: a page or text instead of JSON, or, to a stream
     * request, neither an event stream nor a JSON completion. The app gets 502.
     */
    UPSTREAM_INVALID_RESPONSE("upstream_invalid_response"),
    /**
     * The gateway's answer broke off: a JSON body cut short (502 when the sidecar can still say so) or a stream that
     * ended without its final event (an error event ends it for the app).
     */
    UPSTREAM_INTERRUPTED("upstream_interrupted"),
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

    /** The outcome of a request the sidecar refused itself, or whose forwarding failed, from the error's kind. */
    public static Outcome of(SidecarException e) {
        return switch (e.kind()) {
            case INVALID -> INVALID;
            case POLICY_DENIED -> DENIED_POLICY;
            case BUDGET_EXCEEDED -> DENIED_BUDGET;
            case RATE_LIMITED -> RATE_LIMITED;
            case UPSTREAM_ERROR -> UPSTREAM_ERROR;
            case UPSTREAM_INVALID_RESPONSE -> UPSTREAM_INVALID_RESPONSE;
            case UPSTREAM_INTERRUPTED -> UPSTREAM_INTERRUPTED;
            case SIDECAR_FAILURE -> ERROR;
        };
    }
}
