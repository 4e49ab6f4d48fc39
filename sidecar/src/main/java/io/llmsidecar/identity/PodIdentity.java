package io.llmsidecar.identity;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;


/**
 * Who this sidecar runs for, from the pod's downward-API environment ({@code SIDECAR_POD_*}) and the team the
 * injector read from the pod's annotation ({@code SIDECAR_TEAM}). Empty strings where unknown, e.g. outside
 * Kubernetes.
 *
 * @param trustTeamHeader whether a request's {@code x-llm-team} header may override {@code team}; off by default,
 *                        because every container of the pod can send any header: turning it on lets the app pick
 *                        the team whose budgets and policies apply (single-tenant or development setups only)
 */
public record PodIdentity(String namespace, String pod, String serviceAccount, String app, String team,
                          boolean trustTeamHeader) {
    public static final boolean DEFAULT_TRUST_TEAM_HEADER = false;

    public static PodIdentity create(Config node) {
        return new PodIdentity(ConfigValues.string(node.get("namespace"), ""),
                               ConfigValues.string(node.get("pod"), ""),
                               ConfigValues.string(node.get("service-account"), ""),
                               ConfigValues.string(node.get("app"), ""),
                               ConfigValues.string(node.get("team"), ""),
                               ConfigValues.bool(node.get("trust-team-header"),
                                                 DEFAULT_TRUST_TEAM_HEADER));
    }
}
