package io.llmsidecar.identity;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;


/**
 * Who this sidecar runs for, from the pod's downward-API environment ({@code SIDECAR_POD_*}) and the team the
 * injector read from the pod's annotation ({@code SIDECAR_TEAM}). Empty strings where unknown, e.g. outside
 * Kubernetes.
 *
 * @param trustTeamHeader whether a request's {@code x-llm-team} header may override {@code team}; switch it off when
 *                        the pod's team must be authoritative for budgets
 */
public record PodIdentity(String namespace, String pod, String serviceAccount, String app, String team,
                          boolean trustTeamHeader) {
    public static PodIdentity create(Config node) {
        return new PodIdentity(ConfigValues.string(node.get("namespace"), ""),
                               ConfigValues.string(node.get("pod"), ""),
                               ConfigValues.string(node.get("service-account"), ""),
                               ConfigValues.string(node.get("app"), ""),
                               ConfigValues.string(node.get("team"), ""),
                               ConfigValues.bool(node.get("trust-team-header"), true));
    }
}
