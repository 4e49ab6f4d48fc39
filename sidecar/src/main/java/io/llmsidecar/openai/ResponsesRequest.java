package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A validated {@code POST /v1/responses} body (OpenAI's Responses API). {@code input} is a string or a list of
 * items: messages whose {@code content} is a string or content parts ({@code input_text}, {@code output_text}...),
 * tool outputs ({@code function_call_output.output}, a string or parts), earlier tool calls ({@code arguments}).
 * {@code instructions} is a system prompt. The limit is {@code max_output_tokens}; there is no {@code n}, and a
 * body that sends one is refused rather than let a translating gateway multiply the output unbudgeted.
 */
public final class ResponsesRequest implements ApiRequest {
    static final String LIMIT_FIELD = "max_output_tokens";

    private final RequestFields fields;

    private ResponsesRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        String model = Fields.requiredModel(json);
        List<PromptText> found = new ArrayList<>();
        Fields.optionalString(json, "instructions").ifPresent(t -> found.add(new PromptText(t, "instructions")));
        input(json.get("input"), found);
        LimitFields.check(json, "the Responses API", List.of(LIMIT_FIELD));
        PricedShapes.check(json);
        OptionalInt maxTokens = Fields.positiveInt(json, LIMIT_FIELD);
        if (Fields.bool(json, "background")) {
            throw SidecarException.invalidRequest("unsupported_value", "background",
                    "Unsupported value: 'background' true is not supported by the sidecar. A background response "
                    + "is answered 'queued' without usage, and its usage arrives later on GET /v1/responses/{id}, "
                    + "which the sidecar does not serve, so its cost could not be settled against the budget. Send "
                    + "the request without 'background' (use \"stream\": true for long generations).");
        }
        JsonNode n = json.get("n");
        if (n != null && !n.isNull()) {
            throw SidecarException.invalidRequest("unsupported_parameter", "n",
                    "Unsupported parameter: 'n' is not part of the Responses API. Send one request per response.");
        }
        OptionalDouble temperature = Fields.temperature(json);
        boolean stream = Fields.bool(json, "stream");
        Optional<String> user = Fields.optionalString(json, "user");
        int toolsCount = Fields.arraySize(json, "tools");
        // A Responses stream always ends with response.completed and its usage: nothing to hide, as if asked for.
        this.fields = new RequestFields(raw, json, rewritten, model, List.copyOf(found), maxTokens, 1, temperature,
                                        stream, true, user, toolsCount);
    }

    public static ResponsesRequest parse(byte[] body) {
        return new ResponsesRequest(body, StrictJson.object(body, "'model' and 'input'"), false);
    }

    private static void input(JsonNode input, List<PromptText> texts) {
        if (input == null || input.isNull()) {
            return;
        }
        if (input.isTextual()) {
            texts.add(new PromptText(input.asText(), "input"));
            return;
        }
        if (!input.isArray()) {
            throw SidecarException.invalidRequest("invalid_type", "input",
                    "Invalid type for 'input': expected a string or an array of items, got "
                    + Fields.describe(input) + ".");
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String at = "input[" + i + "]";
            if (!item.isObject()) {
                throw SidecarException.invalidRequest("invalid_type", at,
                        "Invalid type for '" + at + "': expected an object, got " + Fields.describe(item) + ".");
            }
            parts(item.get("content"), at + ".content", texts);
            parts(item.get("output"), at + ".output", texts);
            JsonNode arguments = item.get("arguments");
            if (arguments != null && arguments.isTextual()) {
                texts.add(new PromptText(arguments.asText(), at + ".arguments"));
            }
            JsonNode summary = item.get("summary");
            if (summary != null && summary.isArray()) {
                parts(summary, at + ".summary", texts);
            }
        }
    }

    /** A string, or an array of parts whose {@code text} (or {@code refusal}) is taken. */
    private static void parts(JsonNode node, String at, List<PromptText> texts) {
        if (node == null || node.isNull()) {
            return;
        }
        if (node.isTextual()) {
            texts.add(new PromptText(node.asText(), at));
            return;
        }
        if (!node.isArray()) {
            return;
        }
        for (int j = 0; j < node.size(); j++) {
            JsonNode part = node.get(j);
            for (String field : new String[] {"text", "refusal"}) {
                JsonNode text = part.get(field);
                if (text != null && text.isTextual()) {
                    texts.add(new PromptText(text.asText(), at + "[" + j + "]"));
                }
            }
        }
    }

    @Override
    public Api api() {
        return Api.RESPONSES;
    }

    @Override
    public RequestFields fields() {
        return fields;
    }

    @Override
    public Optional<String> limitField() {
        return Optional.of(LIMIT_FIELD);
    }

    @Override
    public ResponsesRequest withPatch(RequestPatch patch) {
        return patch.isEmpty() ? this : new ResponsesRequest(raw(), Fields.patched(json(), patch, LIMIT_FIELD), true);
    }
}
