package io.llmsidecar.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.RequestPatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads the result of {@code sidecar/decision} into a {@link Decision}, checking every field. Anything unexpected
 * is a {@link PolicyResultException}, which the engine turns into a policy error: a policy that says something the
 * sidecar does not understand must not let a request through.
 */
final class DecisionParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_CODE_LENGTH = 64;

    private DecisionParser() {
    }

    /** Parses OPA's result set, {@code [{"result": {...}}]}. */
    static Decision parse(String resultSet, String revision) {
        JsonNode results;
        try {
            results = JSON.readTree(resultSet);
        } catch (JsonProcessingException e) {
            throw new PolicyResultException("the result is not JSON");
        }
        if (!results.isArray() || results.isEmpty()) {
            throw new PolicyResultException("data.sidecar.decision is undefined for this input; the policy must "
                                            + "always define a decision");
        }
        JsonNode decision = results.get(0).get("result");
        if (decision == null || !decision.isObject()) {
            throw new PolicyResultException("data.sidecar.decision must be an object with allow, reasons and patch, "
                                            + "got " + describe(decision));
        }
        JsonNode allow = decision.get("allow");
        if (allow == null || !allow.isBoolean()) {
            throw new PolicyResultException("decision.allow must be true or false, got " + describe(allow));
        }
        List<Decision.Reason> reasons = reasons(decision.get("reasons"), "reasons");
        List<Decision.Reason> warnings = reasons(decision.get("warnings"), "warnings");
        RequestPatch patch = patch(decision.get("patch"));
        return allow.booleanValue() ? new Decision.Allow(patch, revision, warnings)
                                    : new Decision.Deny(reasons, revision, warnings);
    }

    private static List<Decision.Reason> reasons(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new PolicyResultException("decision." + field + " must be an array or set, got " + describe(node));
        }
        List<Decision.Reason> reasons = new ArrayList<>(node.size());
        for (JsonNode reason : node) {
            JsonNode code = reason.get("code");
            if (!reason.isObject() || code == null || !code.isTextual() || code.asText().isBlank()
                || code.asText().length() > MAX_CODE_LENGTH) {
                throw new PolicyResultException("each reason must be an object with a non-empty \"code\" of at most "
                                                + MAX_CODE_LENGTH + " characters, got " + describe(reason));
            }
            JsonNode message = reason.get("message");
            if (message != null && !message.isNull() && !message.isTextual()) {
                throw new PolicyResultException("reason.message must be a string, got " + describe(message));
            }
            JsonNode policy = reason.get("policy");
            if (policy != null && !policy.isNull() && !policy.isTextual()) {
                throw new PolicyResultException("reason.policy must be a string, got " + describe(policy));
            }
            reasons.add(new Decision.Reason(code.asText(),
                                            message == null || message.isNull() ? code.asText() : message.asText(),
                                            policy == null || policy.isNull() ? "" : policy.asText()));
        }
        return reasons;
    }

    private static RequestPatch patch(JsonNode node) {
        if (node == null || node.isNull()) {
            return RequestPatch.NONE;
        }
        if (!node.isObject()) {
            throw new PolicyResultException("decision.patch must be an object, got " + describe(node));
        }
        Optional<String> model = Optional.empty();
        OptionalInt maxTokens = OptionalInt.empty();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            switch (field.getKey()) {
                case "model" -> {
                    if (!value.isTextual() || value.asText().isBlank()) {
                        throw new PolicyResultException("patch.model must be a non-empty string, got "
                                                        + describe(value));
                    }
                    model = Optional.of(value.asText());
                }
                case "max_tokens" -> {
                    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
                        throw new PolicyResultException("patch.max_tokens must be a positive integer, got "
                                                        + describe(value));
                    }
                    maxTokens = OptionalInt.of(value.intValue());
                }
                default -> throw new PolicyResultException("patch." + field.getKey() + " cannot be patched; a policy "
                                                           + "may patch only model and max_tokens");
            }
        }
        return new RequestPatch(model, maxTokens);
    }

    private static String describe(JsonNode node) {
        if (node == null) {
            return "nothing";
        }
        String text = node.toString();
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }

    /** A result that does not follow the decision contract in policies/README.md. */
    static final class PolicyResultException extends RuntimeException {
        PolicyResultException(String message) {
            super(message, null, false, false);
        }
    }
}
