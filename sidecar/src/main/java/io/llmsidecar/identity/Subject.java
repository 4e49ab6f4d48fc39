package io.llmsidecar.identity;

/**
 * Who a request is for: the same facts feed the policy input ({@code input.subject}) and select budget counters.
 * Empty strings where unknown, so policies and budget keys never see nulls.
 */
public record Subject(String team, String user, PodIdentity pod) {
    public String namespace() {
        return pod.namespace();
    }

    public String app() {
        return pod.app();
    }
}
