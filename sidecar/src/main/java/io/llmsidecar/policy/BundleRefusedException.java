package io.llmsidecar.policy;

/**
 * A bundle that failed signature verification. {@link #reason()} is a fixed code, the metric's label; the message
 * says what was wrong without quoting the bundle's content.
 */
final class BundleRefusedException extends PolicyLoadException {
    /** Why a bundle was refused: the {@code reason} label of {@code llm_sidecar_policy_bundle_refusals_total}. */
    enum Reason {
        UNSIGNED("unsigned"), BAD_SIGNATURE("bad_signature"), TAMPERED("tampered"), WRONG_SCOPE("wrong_scope"),
        UNKNOWN_KEY("unknown_key");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }

    private final Reason reason;

    BundleRefusedException(Reason reason, String message) {
        super("bundle refused (" + reason.label + "): " + message);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
