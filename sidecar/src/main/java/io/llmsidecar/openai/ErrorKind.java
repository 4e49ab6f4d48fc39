package io.llmsidecar.openai;

/**
 * What an error the sidecar answers itself stands for, whatever its {@code code} says in detail. Every error names
 * its kind where it is made, so the request's outcome (the {@code outcome} metric label and access-log field) follows
 * from a closed type: a new error code cannot fall through a string match into the wrong outcome.
 */
public enum ErrorKind {
    /** The request was refused as unusable: its body, path, method, size, encoding, or an admin credential. */
    INVALID,
    /** A policy denied the request. */
    POLICY_DENIED,
    /** A token or cost budget would be exceeded. */
    BUDGET_EXCEEDED,
    /** A rate limit has no room for the request now. */
    RATE_LIMITED,
    /** The gateway could not be reached, did not answer in time, or answered an error. */
    UPSTREAM_ERROR,
    /** The gateway answered success with a body that is no answer of the API called. */
    UPSTREAM_INVALID_RESPONSE,
    /** The gateway's answer broke off. */
    UPSTREAM_INTERRUPTED,
    /** The sidecar could not handle the request itself: a policy or budget backend failing, a drain, a bug. */
    SIDECAR_FAILURE;

    /**
     * Whether sending the same request again may succeed. The SDKs of both families retry 429 and 5xx answers
     * (Claude Code for minutes) unless told {@code x-should-retry: false}: a budget spent for its window, a denial or
     * bad input will not change on a retry, a rate limit or a failing backend may.
     */
    public boolean retryable() {
        return switch (this) {
            case INVALID, POLICY_DENIED, BUDGET_EXCEEDED -> false;
            case RATE_LIMITED, UPSTREAM_ERROR, UPSTREAM_INVALID_RESPONSE, UPSTREAM_INTERRUPTED, SIDECAR_FAILURE -> true;
        };
    }
}
