package io.llmsidecar.policy;

import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.RequestPatch;
import io.llmsidecar.openai.SidecarException;

import java.util.List;

/**
 * What the policy decided for one request, parsed and type-checked once from the Rego result so that nothing
 * downstream handles untyped JSON.
 */
public sealed interface Decision {
    /** The revision of the policy that decided; empty when no policy was loaded. */
    String revision();

    /**
     * What the policy reported without enforcing it (its {@code warnings}, e.g. findings set to {@code shadow}):
     * logged and counted, never shown to the caller.
     */
    List<Reason> warnings();

    /** Forward the request, changed by {@code patch} (often {@link RequestPatch#NONE}). */
    record Allow(RequestPatch patch, String revision, List<Reason> warnings) implements Decision {
        public Allow {
            warnings = List.copyOf(warnings);
        }

        public Allow(RequestPatch patch, String revision) {
            this(patch, revision, List.of());
        }

        /** The patched fields, comma-separated in alphabetical order: {@code max_tokens,model}. */
        public String patchedFields() {
            String fields = (patch.maxTokens().isPresent() ? ",max_tokens" : "")
                            + (patch.model().isPresent() ? ",model" : "");
            return fields.isEmpty() ? "" : fields.substring(1);
        }
    }

    /** Refuse the request: 403 with the reasons, nothing forwarded. */
    record Deny(List<Reason> reasons, String revision, List<Reason> warnings) implements Decision {
        public Deny {
            reasons = List.copyOf(reasons);
            warnings = List.copyOf(warnings);
        }

        public Deny(List<Reason> reasons, String revision) {
            this(reasons, revision, List.of());
        }

        /** The OpenAI-shaped error: {@code policy_denied}, the reasons' messages, their codes as {@code reasons}. */
        public SidecarException toException() {
            String message = reasons.isEmpty()
                    ? "The request was denied by policy."
                    : String.join(" ", reasons.stream().map(Reason::message).toList());
            return new SidecarException(ErrorKind.POLICY_DENIED, 403, ErrorTypes.PERMISSION, "policy_denied", null,
                                        message)
                    .withListField("reasons", reasons.stream().map(Reason::code).toList());
        }
    }

    /**
     * The policy could not be evaluated (error, timeout, wrong result shape, none loaded) and the sidecar fails
     * closed: 503, nothing forwarded. With {@code policy.failure-mode: fail-open} an {@link Allow} is returned
     * instead.
     */
    record Failed(String error, String revision) implements Decision {
        @Override
        public List<Reason> warnings() {
            return List.of();
        }

        public SidecarException toException() {
            return new SidecarException(ErrorKind.SIDECAR_FAILURE, 503, ErrorTypes.SERVER, "policy_error", null,
                                        "The request was not forwarded because the policy could not be evaluated ("
                                        + error + "). See GET /admin/policy on the admin port and the sidecar log.");
        }
    }

    /**
     * Why a policy denied a request.
     *
     * @param code    stable snake_case code, e.g. {@code model_not_allowed}; also the metric's {@code reason} label
     * @param message the sentence shown to the caller
     * @param policy  which policy (rule file) produced it, e.g. {@code secrets}; empty when the Rego sets none
     */
    record Reason(String code, String message, String policy) {
    }
}
