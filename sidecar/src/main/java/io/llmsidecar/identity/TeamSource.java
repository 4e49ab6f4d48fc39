package io.llmsidecar.identity;

/**
 * Where a request's team came from, passed to policies as {@code input.subject.team_source} so a policy can treat a
 * team the app claimed differently from the one the pod was given.
 */
public enum TeamSource {
    /** The pod's own team ({@code SIDECAR_TEAM}, from the injector): the app cannot change it. */
    POD("pod"),
    /** The request's {@code x-llm-team} header, only when {@code identity.trust-team-header} is on. */
    HEADER("header");

    private final String inputValue;

    TeamSource(String inputValue) {
        this.inputValue = inputValue;
    }

    /** The value in the policy input. */
    public String inputValue() {
        return inputValue;
    }
}
