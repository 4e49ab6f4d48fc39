package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated body of Anthropic's Messages API: {@code POST /v1/messages}, or {@code /v1/messages/count_tokens}
 * (the same body without {@code max_tokens} and {@code stream}, answered with a count and no generation).
 *
 * <p>Prompt texts are every text the model reads: {@code system} (a string or text blocks), and each message's
 * {@code content}, a string or blocks: {@code text}, {@code tool_use.input} (the call as JSON), {@code tool_result}
 * content (a string or blocks), {@code thinking} sent back from an earlier turn, and {@code document} sources of
 * type {@code text} or {@code content}. Tool definitions and every other string reach the detectors through
 * {@link BodyStrings}. Block types the sidecar does not know are accepted (the API grows new ones: server tools,
 * search results, MCP), never refused; their strings are scanned like any other field.
 *
 * <p>Opaque payloads are not scanned: base64 {@code image} and {@code document} data, a thinking block's
 * {@code signature} and {@code redacted_thinking} data are encrypted or encoded bytes no detector can read, and
 * random base64 is full of key-like runs.
 *
 * <p>The completion limit is {@code max_tokens}, which this API requires; extended thinking spends its
 * {@code budget_tokens} out of it, so the reservation is {@code max_tokens} either way.
 */
public final class MessagesRequest implements ApiRequest {
    static final String LIMIT_FIELD = "max_tokens";
    /** {@code system} inside {@code messages}: Claude Code's per-turn-control beta sends such messages. */
    private static final Set<String> ROLES = Set.of("user", "assistant", "system");

    private final Api api;
    private final RequestFields fields;
    private final List<String> opaque;

    private MessagesRequest(Api api, byte[] raw, ObjectNode json, boolean rewritten) {
        this.api = api;
        boolean generates = api == Api.MESSAGES;
        String model = Fields.requiredModel(json);
        List<PromptText> texts = new ArrayList<>();
        List<String> opaqueStrings = new ArrayList<>();
        system(json.get("system"), texts);
        messages(json, texts, opaqueStrings);
        OptionalInt maxTokens = OptionalInt.empty();
        if (generates) {
            if (!json.hasNonNull(LIMIT_FIELD)) {
                throw SidecarException.invalidRequest("missing_required_parameter", LIMIT_FIELD,
                        "max_tokens: Field required. The Messages API needs the most tokens to generate, e.g. "
                        + "\"max_tokens\": 1024.");
            }
            maxTokens = Fields.positiveInt(json, LIMIT_FIELD);
        } else if (json.has("stream")) {
            throw SidecarException.invalidRequest("unsupported_parameter", "stream",
                    "stream: Extra inputs are not permitted. Counting tokens does not stream.");
        }
        thinking(json.get("thinking"));
        OptionalDouble temperature = Fields.temperature(json);
        boolean stream = generates && Fields.bool(json, "stream");
        Optional<String> user = metadataUser(json.get("metadata"));
        int toolsCount = Fields.arraySize(json, "tools");
        // Every Messages stream carries its usage (message_start, message_delta): nothing to hide, as if asked for.
        this.fields = new RequestFields(raw, json, rewritten, model, List.copyOf(texts), maxTokens, 1, temperature,
                                        stream, true, user, toolsCount);
        this.opaque = List.copyOf(opaqueStrings);
    }

    /** A {@code POST /v1/messages} body. */
    public static MessagesRequest parse(byte[] body) {
        return new MessagesRequest(Api.MESSAGES, body, StrictJson.object(body, "'model', 'max_tokens' and 'messages'"),
                                   false);
    }

    /** A {@code POST /v1/messages/count_tokens} body. */
    public static MessagesRequest parseCountTokens(byte[] body) {
        return new MessagesRequest(Api.MESSAGES_COUNT_TOKENS, body, StrictJson.object(body, "'model' and 'messages'"),
                                   false);
    }

    @Override
    public Api api() {
        return api;
    }

    @Override
    public RequestFields fields() {
        return fields;
    }

    @Override
    public Optional<String> limitField() {
        return api == Api.MESSAGES ? Optional.of(LIMIT_FIELD) : Optional.empty();
    }

    @Override
    public List<String> opaqueStrings() {
        return opaque;
    }

    /**
     * The model and {@code max_tokens} of the patch. A thinking budget that would no longer fit below the lowered
     * limit is lowered with it (Anthropic refuses {@code budget_tokens >= max_tokens} without interleaved thinking).
     */
    @Override
    public MessagesRequest withPatch(RequestPatch patch) {
        if (patch.isEmpty()) {
            return this;
        }
        ObjectNode patched = Fields.patched(json(), patch, limitField().orElse(null));
        if (api == Api.MESSAGES && patch.maxTokens().isPresent()
            && patched.path("thinking") instanceof ObjectNode thinking
            && thinking.path("budget_tokens").canConvertToInt()
            && thinking.get("budget_tokens").intValue() >= patch.maxTokens().getAsInt()) {
            thinking.put("budget_tokens", Math.max(1, patch.maxTokens().getAsInt() - 1));
        }
        return new MessagesRequest(api, raw(), patched, true);
    }

    private static void system(JsonNode system, List<PromptText> texts) {
        if (system == null || system.isNull()) {
            return;
        }
        if (system.isTextual()) {
            texts.add(new PromptText(system.textValue(), "system"));
            return;
        }
        if (!system.isArray()) {
            throw SidecarException.invalidRequest("invalid_type", "system",
                    "system: Input should be a valid string or a list of text blocks, got "
                    + Fields.describe(system) + ".");
        }
        for (int i = 0; i < system.size(); i++) {
            JsonNode block = requiredBlock(system.get(i), "system[" + i + "]");
            JsonNode text = block.get("text");
            if (text != null && text.isTextual()) {
                texts.add(new PromptText(text.textValue(), "system[" + i + "].text"));
            }
        }
    }

    private static void messages(ObjectNode json, List<PromptText> texts, List<String> opaque) {
        JsonNode messages = json.get("messages");
        if (messages == null || messages.isNull()) {
            throw SidecarException.invalidRequest("missing_required_parameter", "messages",
                    "messages: Field required. Send an array of {\"role\",\"content\"} objects.");
        }
        if (!messages.isArray()) {
            throw SidecarException.invalidRequest("invalid_type", "messages",
                    "messages: Input should be a valid list, got " + Fields.describe(messages) + ".");
        }
        if (messages.isEmpty()) {
            throw SidecarException.invalidRequest("empty_array", "messages",
                    "messages: at least one message is required.");
        }
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw SidecarException.invalidRequest("invalid_type", at,
                        at + ": Input should be an object, got " + Fields.describe(message) + ".");
            }
            JsonNode role = message.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.textValue())) {
                throw SidecarException.invalidRequest(role == null ? "missing_required_parameter" : "invalid_value",
                        at + ".role", at + ".role: Input should be 'user', 'assistant' or 'system'"
                                      + (role == null ? " (missing)" : ", got " + role) + ".");
            }
            JsonNode content = message.get("content");
            if (content == null || content.isNull()) {
                throw SidecarException.invalidRequest("missing_required_parameter", at + ".content",
                        at + ".content: Field required.");
            }
            content(content, at + ".content", texts, opaque);
        }
    }

    /** A string, or an array of content blocks. */
    private static void content(JsonNode content, String at, List<PromptText> texts, List<String> opaque) {
        if (content.isTextual()) {
            texts.add(new PromptText(content.textValue(), at));
            return;
        }
        if (!content.isArray()) {
            throw SidecarException.invalidRequest("invalid_type", at,
                    at + ": Input should be a valid string or a list of content blocks, got "
                    + Fields.describe(content) + ".");
        }
        for (int j = 0; j < content.size(); j++) {
            block(requiredBlock(content.get(j), at + "[" + j + "]"), at + "[" + j + "]", texts, opaque);
        }
    }

    private static void block(JsonNode block, String at, List<PromptText> texts, List<String> opaque) {
        switch (block.get("type").textValue()) {
            case "text" -> text(block, "text", at + ".text", texts);
            case "thinking" -> {
                text(block, "thinking", at + ".thinking", texts);
                opaque(block.get("signature"), opaque);
            }
            case "redacted_thinking" -> opaque(block.get("data"), opaque);
            case "tool_use", "server_tool_use" -> {
                JsonNode input = block.get("input");
                if (input != null && !input.isNull()) {
                    texts.add(new PromptText(input.isTextual() ? input.textValue() : input.toString(),
                                             at + ".input"));
                }
            }
            case "tool_result" -> {
                JsonNode result = block.get("content");
                if (result != null && !result.isNull()) {
                    content(result, at + ".content", texts, opaque);
                }
            }
            case "image", "document" -> source(block.get("source"), at + ".source", texts, opaque);
            default -> {
                // A block type this version does not know: accepted, and its strings scanned by BodyStrings.
            }
        }
    }

    /**
     * A media source: base64 data is opaque, a plain-text document's {@code data} and a content document's blocks
     * are prompt text; URL and file-id sources carry no text.
     */
    private static void source(JsonNode source, String at, List<PromptText> texts, List<String> opaque) {
        if (source == null || !source.isObject()) {
            return;
        }
        String type = source.path("type").asText("");
        switch (type) {
            case "base64" -> opaque(source.get("data"), opaque);
            case "text" -> text(source, "data", at + ".data", texts);
            case "content" -> {
                JsonNode blocks = source.get("content");
                if (blocks != null && !blocks.isNull()) {
                    content(blocks, at + ".content", texts, opaque);
                }
            }
            default -> {
            }
        }
    }

    private static JsonNode requiredBlock(JsonNode block, String at) {
        if (!block.isObject()) {
            throw SidecarException.invalidRequest("invalid_type", at,
                    at + ": Input should be a content block object, got " + Fields.describe(block) + ".");
        }
        JsonNode type = block.get("type");
        if (type == null || !type.isTextual()) {
            throw SidecarException.invalidRequest("missing_required_parameter", at + ".type",
                    at + ".type: Field required (a string such as \"text\").");
        }
        return block;
    }

    private static void text(JsonNode block, String field, String at, List<PromptText> texts) {
        JsonNode text = block.get(field);
        if (text != null && text.isTextual()) {
            texts.add(new PromptText(text.textValue(), at));
        }
    }

    private static void opaque(JsonNode node, List<String> opaque) {
        if (node != null && node.isTextual()) {
            opaque.add(node.textValue());
        }
    }

    /** {@code thinking}: an object; when enabled, a positive integer {@code budget_tokens}. */
    private static void thinking(JsonNode thinking) {
        if (thinking == null || thinking.isNull()) {
            return;
        }
        if (!thinking.isObject()) {
            throw SidecarException.invalidRequest("invalid_type", "thinking",
                    "thinking: Input should be an object, got " + Fields.describe(thinking) + ".");
        }
        if ("enabled".equals(thinking.path("type").asText())) {
            Fields.positiveInt((ObjectNode) thinking, "budget_tokens")
                    .orElseThrow(() -> SidecarException.invalidRequest("missing_required_parameter",
                            "thinking.budget_tokens", "thinking.budget_tokens: Field required when thinking is "
                                                      + "enabled."));
        }
    }

    /** {@code metadata.user_id}: Anthropic's end-user attribution, the counterpart of OpenAI's {@code user}. */
    private static Optional<String> metadataUser(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return Optional.empty();
        }
        if (!metadata.isObject()) {
            throw SidecarException.invalidRequest("invalid_type", "metadata",
                    "metadata: Input should be an object, got " + Fields.describe(metadata) + ".");
        }
        return Fields.optionalString((ObjectNode) metadata, "user_id");
    }
}
