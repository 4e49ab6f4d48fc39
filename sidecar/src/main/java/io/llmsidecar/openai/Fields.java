package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The field checks every dialect shares, each throwing a 400 that names the parameter, in OpenAI's wording.
 */
final class Fields {
    private Fields() {
    }

    static String requiredModel(ObjectNode json) {
        JsonNode model = json.get("model");
        if (model == null || model.isNull()) {
            throw SidecarException.invalidRequest("missing_required_parameter", "model",
                    "Missing required parameter: 'model'. Name the model to use, e.g. \"gpt-4o-mini\".");
        }
        if (!model.isTextual() || model.asText().isBlank()) {
            throw SidecarException.invalidRequest("invalid_type", "model",
                    "Invalid type for 'model': expected a non-empty string, got " + describe(model) + ".");
        }
        return model.asText();
    }

    static OptionalInt positiveInt(ObjectNode json, String field) {
        return intInRange(json, field, 1, Integer.MAX_VALUE);
    }

    static OptionalInt intInRange(ObjectNode json, String field, int min, int max) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return OptionalInt.empty();
        }
        if (!node.isIntegralNumber()) {
            throw SidecarException.invalidRequest("invalid_type", field,
                    "Invalid type for '" + field + "': expected an integer, got " + describe(node) + ".");
        }
        if (!node.canConvertToInt()) {
            boolean negative = node.bigIntegerValue().signum() < 0;
            throw SidecarException.invalidRequest(negative ? "integer_below_min_value" : "integer_above_max_value",
                    field, "Invalid '" + field + "': integer " + (negative ? "below minimum" : "above maximum")
                           + " value. Expected a value " + (negative ? ">= " + min : "<= " + max) + ".");
        }
        int value = node.intValue();
        if (value < min) {
            throw SidecarException.invalidRequest("integer_below_min_value", field,
                    "Invalid '" + field + "': integer below minimum value. Expected a value >= " + min
                    + ", but got " + value + " instead.");
        }
        if (value > max) {
            throw SidecarException.invalidRequest("integer_above_max_value", field,
                    "Invalid '" + field + "': integer above maximum value. Expected a value <= " + max
                    + ", but got " + value + " instead.");
        }
        return OptionalInt.of(value);
    }

    static OptionalDouble temperature(ObjectNode json) {
        JsonNode node = json.get("temperature");
        if (node == null || node.isNull()) {
            return OptionalDouble.empty();
        }
        if (!node.isNumber()) {
            throw SidecarException.invalidRequest("invalid_type", "temperature",
                    "Invalid type for 'temperature': expected a number, got " + describe(node) + ".");
        }
        double value = node.doubleValue();
        if (!(value >= 0.0 && value <= 2.0)) {
            throw SidecarException.invalidRequest("invalid_value", "temperature",
                    "Invalid 'temperature': " + node + ". Expected a number from 0 to 2.");
        }
        return OptionalDouble.of(value);
    }

    static boolean bool(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw SidecarException.invalidRequest("invalid_type", field,
                    "Invalid type for '" + field + "': expected a boolean, got " + describe(node) + ".");
        }
        return node.booleanValue();
    }

    /** {@code stream_options.include_usage}, type-checked. */
    static boolean streamOptionsIncludeUsage(ObjectNode json) {
        JsonNode options = json.get("stream_options");
        if (options == null || options.isNull()) {
            return false;
        }
        if (!options.isObject()) {
            throw SidecarException.invalidRequest("invalid_type", "stream_options",
                    "Invalid type for 'stream_options': expected an object, got " + describe(options) + ".");
        }
        JsonNode include = options.get("include_usage");
        if (include != null && !include.isNull() && !include.isBoolean()) {
            throw SidecarException.invalidRequest("invalid_type", "stream_options.include_usage",
                    "Invalid type for 'stream_options.include_usage': expected a boolean, got "
                    + describe(include) + ".");
        }
        return include != null && include.booleanValue();
    }

    static Optional<String> optionalString(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw SidecarException.invalidRequest("invalid_type", field,
                    "Invalid type for '" + field + "': expected a string, got " + describe(node) + ".");
        }
        return Optional.of(node.asText());
    }

    static int arraySize(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        return node != null && node.isArray() ? node.size() : 0;
    }

    /**
     * A string, or an array of strings: the text inputs of embeddings and legacy completions. Token-id arrays are
     * refused because no detector can read them: they would carry any text past the policies unseen.
     */
    static void stringOrStrings(ObjectNode json, String field, boolean required, List<PromptText> texts) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw SidecarException.invalidRequest("missing_required_parameter", field,
                        "Missing required parameter: '" + field + "'. Send a string or an array of strings.");
            }
            return;
        }
        if (node.isTextual()) {
            texts.add(new PromptText(node.asText(), field));
            return;
        }
        if (!node.isArray()) {
            throw SidecarException.invalidRequest("invalid_type", field,
                    "Invalid type for '" + field + "': expected a string or an array of strings, got "
                    + describe(node) + ".");
        }
        if (node.isEmpty()) {
            throw SidecarException.invalidRequest("empty_array", field,
                    "Invalid '" + field + "': empty array. Expected at least one string.");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual()) {
                throw SidecarException.invalidRequest("unsupported_input", field + "[" + i + "]",
                        "Invalid '" + field + "[" + i + "]': expected a string, got " + describe(item)
                        + ". The sidecar governs text only: token-id arrays cannot be checked by its policies, so "
                        + "send the text itself.");
            }
            texts.add(new PromptText(item.asText(), field + "[" + i + "]"));
        }
    }

    /** A copy of {@code json} with the patch's model and completion limit (in {@code limitField}) set. */
    static ObjectNode patched(ObjectNode json, RequestPatch patch, String limitField) {
        ObjectNode copy = json.deepCopy();
        patch.model().ifPresent(m -> copy.put("model", m));
        if (limitField != null) {
            patch.maxTokens().ifPresent(n -> copy.put(limitField, n));
        }
        return copy;
    }

    static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "an unsupported value";
        };
    }
}
