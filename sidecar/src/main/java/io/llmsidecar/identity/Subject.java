package io.llmsidecar.identity;

/**
 * Who a request is for: the same facts feed the policy input ({@code input.subject}) and select budget counters.
 * Empty strings where unknown, so policies and budget keys never see nulls.
 *
 * @param team       the team budgets and policies apply to
 * @param user       app-attested attribution ({@code x-llm-user} or the body's {@code user}): the app can name any
 *                   user, so it is for reports and per-user limits inside a team, never for the team's own limits
 * @param pod        the pod this sidecar runs in
 * @param teamSource whether {@code team} is the pod's or the header's
 * @param session    the agent session the app names ({@code X-Claude-Code-Session-Id}): app-attested attribution for
 *                   the policy input and the decision log, never a metric label or a budget key
 */
public record Subject(String team, String user, PodIdentity pod, TeamSource teamSource, String session) {
    /** A subject whose team is the pod's (the default when no header may name one). */
    public Subject(String team, String user, PodIdentity pod) {
        this(team, user, pod, TeamSource.POD);
    }

    /** A subject without a session. */
    public Subject(String team, String user, PodIdentity pod, TeamSource teamSource) {
        this(team, user, pod, teamSource, "");
    }

    public String namespace() {
        return pod.namespace();
    }

    public String app() {
        return pod.app();
    }
}
