package io.llmsidecar.policy;

import java.util.UUID;

/**
 * The {@code labels} of every decision-log event, as OPA writes them: this sidecar's {@code id} (random per
 * process, so a restarted pod is told apart) and {@code version}, and the pod and namespace it runs in.
 */
public record DecisionLabels(String id, String version, String pod, String namespace) {
    public DecisionLabels {
        id = id == null ? "" : id;
        version = version == null ? "" : version;
        pod = pod == null ? "" : pod;
        namespace = namespace == null ? "" : namespace;
    }

    /** Labels for a sidecar process just started. */
    public static DecisionLabels of(String version, String pod, String namespace) {
        return new DecisionLabels(UUID.randomUUID().toString(), version, pod, namespace);
    }
}
