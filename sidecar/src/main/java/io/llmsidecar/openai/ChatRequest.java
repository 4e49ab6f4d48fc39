package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated {@code POST /v1/chat/completions} body. The body is parsed exactly once; the fields the sidecar acts on
 * are read out here, and the original bytes are forwarded untouched unless the sidecar has to change something.
 */
public final class ChatRequest implements ApiRequest {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    /** OpenAI's own ceiling on {@code n}. */
    static final int MAX_CHOICES = 128;
    /** The current limit field, then the deprecated one; a body may send one of them. */
    private static final List<String> LIMIT_FIELDS = List.of("max_completion_tokens", "max_tokens");

    private final RequestFields fields;
    private final ArrayNode messages;
    private final String maxTokensField;

    private ChatRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        String model = Fields.requiredModel(json);
        this.messages = requiredMessages(json);
        List<PromptText> texts = texts(messages);
        // One limit field at most (both is 400 invalid_parameter_combination, as at OpenAI), so the sidecar, the
        // policy's patch and the gateway all read the same limit.
        LimitFields.check(json, "chat completions", LIMIT_FIELDS);
        PricedShapes.check(json);
        OptionalInt maxCompletion = Fields.positiveInt(json, "max_completion_tokens");
        OptionalInt maxTokens = maxCompletion.isPresent() ? maxCompletion : Fields.positiveInt(json, "max_tokens");
        this.maxTokensField = limitField(json, model);
        int choices = Fields.intInRange(json, "n", 1, MAX_CHOICES).orElse(1);
        OptionalDouble temperature = Fields.temperature(json);
        boolean stream = Fields.bool(json, "stream");
        boolean clientRequestedUsage = Fields.streamOptionsIncludeUsage(json);
        Optional<String> user = Fields.optionalString(json, "user");
        int toolsCount = Fields.arraySize(json, "tools");
        this.fields = new RequestFields(raw, json, rewritten, model, texts, maxTokens, choices, temperature, stream,
                                        clientRequestedUsage, user, toolsCount);
    }

    /** Parses and validates a request body; throws a 400 {@link SidecarException} naming the parameter at fault. */
    public static ChatRequest parse(byte[] body) {
        return new ChatRequest(body, StrictJson.object(body, "'model' and 'messages'"), false);
    }

    @Override
    public Api api() {
        return Api.CHAT_COMPLETIONS;
    }

    @Override
    public RequestFields fields() {
        return fields;
    }

    public ArrayNode messages() {
        return messages;
    }

    @Override
    public Optional<String> limitField() {
        return Optional.of(maxTokensField);
    }

    /**
     * The body as sent without a budget limit: the caller's bytes, or the patched tree, with
     * {@code stream_options.include_usage} on every stream. The pipeline builds its body with {@link OutgoingBody}.
     */
    public byte[] upstreamBody() {
        return OutgoingBody.write(this, OptionalInt.empty(), stream() && !clientRequestedUsage());
    }

    /**
     * A limit is written to the field the caller used, else to the field the model accepts (see
     * {@link #limitField}).
     */
    @Override
    public ChatRequest withPatch(RequestPatch patch) {
        if (patch.isEmpty()) {
            return this;
        }
        return new ChatRequest(raw(), Fields.patched(json(), patch, maxTokensField), true);
    }

    /**
     * The field a limit patch writes: the one the caller used; else {@code max_completion_tokens} for OpenAI's
     * reasoning and GPT-5 models, which reject {@code max_tokens}; else {@code max_tokens}, the field the gateway
     * documents and every provider accepts.
     */
    private static String limitField(ObjectNode json, String model) {
        if (json.has("max_completion_tokens")) {
            return "max_completion_tokens";
        }
        if (json.has("max_tokens")) {
            return "max_tokens";
        }
        String name = model.substring(model.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        boolean reasoning = name.startsWith("o1") || name.startsWith("o3") || name.startsWith("o4")
                            || name.startsWith("gpt-5");
        return reasoning ? "max_completion_tokens" : "max_tokens";
    }

    /** String contents, the text of content parts, and tool-call arguments (which echo earlier prompts). */
    private static List<PromptText> texts(ArrayNode messages) {
        List<PromptText> texts = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String at = "messages[" + i + "]";
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                texts.add(new PromptText(content.asText(), at + ".content"));
            } else if (content != null && content.isArray()) {
                for (int j = 0; j < content.size(); j++) {
                    JsonNode text = content.get(j).get("text");
                    if (text != null && text.isTextual()) {
                        texts.add(new PromptText(text.asText(), at + ".content[" + j + "]"));
                    }
                }
            }
            JsonNode calls = message.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (int k = 0; k < calls.size(); k++) {
                    JsonNode arguments = calls.get(k).path("function").get("arguments");
                    if (arguments != null && arguments.isTextual()) {
                        texts.add(new PromptText(arguments.asText(),
                                                 at + ".tool_calls[" + k + "].function.arguments"));
                    }
                }
            }
        }
        return List.copyOf(texts);
    }

    private static ArrayNode requiredMessages(ObjectNode json) {
        JsonNode messages = json.get("messages");
        if (messages == null || messages.isNull()) {
            throw SidecarException.invalidRequest("missing_required_parameter", "messages",
                    "Missing required parameter: 'messages'. Send an array of {\"role\",\"content\"} objects.");
        }
        if (!(messages instanceof ArrayNode array)) {
            throw SidecarException.invalidRequest("invalid_type", "messages",
                    "Invalid type for 'messages': expected an array, got " + Fields.describe(messages) + ".");
        }
        if (array.isEmpty()) {
            throw SidecarException.invalidRequest("empty_array", "messages",
                    "Invalid 'messages': empty array. Expected at least one message.");
        }
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            if (!message.isObject()) {
                throw SidecarException.invalidRequest("invalid_type", "messages[" + i + "]",
                        "Invalid type for 'messages[" + i + "]': expected an object, got "
                        + Fields.describe(message) + ".");
            }
            JsonNode role = message.get("role");
            if (role == null || role.isNull()) {
                throw SidecarException.invalidRequest("missing_required_parameter", "messages[" + i + "].role",
                        "Missing required parameter: 'messages[" + i + "].role'.");
            }
            if (!role.isTextual() || !ROLES.contains(role.asText())) {
                throw SidecarException.invalidRequest("invalid_value", "messages[" + i + "].role",
                        "Invalid value for 'messages[" + i + "].role': " + role
                        + ". Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.");
            }
        }
        return array;
    }
}
