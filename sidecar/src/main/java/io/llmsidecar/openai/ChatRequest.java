package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A validated {@code POST /v1/chat/completions} body. The body is parsed exactly once; the fields the sidecar acts on
 * are read out here, and the original bytes are forwarded untouched unless the sidecar has to change something.
 */
public final class ChatRequest {
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            // Deep nesting is never a legitimate chat request; refuse it before it costs stack.
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build());
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private final byte[] raw;
    private final ObjectNode json;
    /** True once a patch changed the tree: the caller's bytes no longer describe the request. */
    private final boolean rewritten;
    private final String model;
    private final ArrayNode messages;
    private final OptionalInt maxTokens;
    private final String maxTokensField;
    private final OptionalDouble temperature;
    private final boolean stream;
    private final boolean clientRequestedUsage;
    private final Optional<String> user;
    private final int toolsCount;

    private ChatRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        this.raw = raw;
        this.json = json;
        this.rewritten = rewritten;
        this.model = requiredModel(json);
        this.messages = requiredMessages(json);
        OptionalInt maxCompletion = positiveInt(json, "max_completion_tokens");
        OptionalInt max = positiveInt(json, "max_tokens");
        // max_completion_tokens supersedes the deprecated max_tokens when both are sent, as OpenAI does.
        this.maxTokens = maxCompletion.isPresent() ? maxCompletion : max;
        this.maxTokensField = limitField(json, model);
        this.temperature = temperature(json);
        this.stream = bool(json, "stream");
        this.clientRequestedUsage = streamOptionsIncludeUsage(json);
        this.user = optionalString(json, "user");
        JsonNode tools = json.get("tools");
        this.toolsCount = tools != null && tools.isArray() ? tools.size() : 0;
    }

    /** Parses and validates a request body; throws a 400 {@link SidecarException} naming the parameter at fault. */
    public static ChatRequest parse(byte[] body) {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw SidecarException.invalidRequest("invalid_json", null,
                    "The request body is not valid JSON (" + e.getOriginalMessage()
                    + "). Send a JSON object with 'model' and 'messages'.");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || root.isMissingNode()) {
            throw SidecarException.invalidRequest("invalid_json", null,
                    "The request body is empty. Send a JSON object with 'model' and 'messages'.");
        }
        if (!(root instanceof ObjectNode object)) {
            throw SidecarException.invalidRequest("invalid_type", null,
                    "The request body must be a JSON object, not " + describe(root) + ".");
        }
        return new ChatRequest(body, object, false);
    }

    public String model() {
        return model;
    }

    public ArrayNode messages() {
        return messages;
    }

    /** The completion limit the caller asked for ({@code max_completion_tokens}, else {@code max_tokens}). */
    public OptionalInt maxTokens() {
        return maxTokens;
    }

    public OptionalDouble temperature() {
        return temperature;
    }

    public boolean stream() {
        return stream;
    }

    /** Whether the caller itself asked for the final usage chunk with {@code stream_options.include_usage}. */
    public boolean clientRequestedUsage() {
        return clientRequestedUsage;
    }

    public Optional<String> user() {
        return user;
    }

    public int toolsCount() {
        return toolsCount;
    }

    public int rawSize() {
        return raw.length;
    }

    /** The parsed body, read-only by convention: the policy input and the tokenizer read messages and tools here. */
    public ObjectNode json() {
        return json;
    }

    /**
     * The body to send upstream. The caller's bytes are reused unless a patch changed the request or a stream needs
     * {@code stream_options.include_usage} (asked for on every stream so its usage can be billed exactly); then the
     * tree is written out, overriding {@code stream_options} on the way rather than copying the tree.
     */
    public byte[] upstreamBody() {
        boolean addUsage = stream && !clientRequestedUsage;
        if (!rewritten && !addUsage) {
            return raw;
        }
        var out = new ByteArrayOutputStream(raw.length + 64);
        try (JsonGenerator g = MAPPER.createGenerator(out)) {
            g.writeStartObject();
            boolean wroteOptions = false;
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                var field = it.next();
                if (addUsage && field.getKey().equals("stream_options")) {
                    writeStreamOptions(g, field.getValue());
                    wroteOptions = true;
                } else {
                    g.writeFieldName(field.getKey());
                    g.writeTree(field.getValue());
                }
            }
            if (addUsage && !wroteOptions) {
                writeStreamOptions(g, null);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The request as the upstream will see it after {@code patch}: the model and limit that budgets must price and
     * that {@link #upstreamBody()} will send. A limit is written to the field the caller used, else to the field
     * the model accepts (see {@link #limitField}).
     */
    public ChatRequest withPatch(RequestPatch patch) {
        if (patch.isEmpty()) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        patch.model().ifPresent(m -> copy.put("model", m));
        patch.maxTokens().ifPresent(n -> copy.put(maxTokensField, n));
        return new ChatRequest(raw, copy, true);
    }

    private static void writeStreamOptions(JsonGenerator g, JsonNode existing) throws IOException {
        g.writeObjectFieldStart("stream_options");
        if (existing instanceof ObjectNode options) {
            for (var it = options.fields(); it.hasNext(); ) {
                var f = it.next();
                if (!f.getKey().equals("include_usage")) {
                    g.writeFieldName(f.getKey());
                    g.writeTree(f.getValue());
                }
            }
        }
        g.writeBooleanField("include_usage", true);
        g.writeEndObject();
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
        String name = model.substring(model.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
        boolean reasoning = name.startsWith("o1") || name.startsWith("o3") || name.startsWith("o4")
                            || name.startsWith("gpt-5");
        return reasoning ? "max_completion_tokens" : "max_tokens";
    }

    private static String requiredModel(ObjectNode json) {
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

    private static ArrayNode requiredMessages(ObjectNode json) {
        JsonNode messages = json.get("messages");
        if (messages == null || messages.isNull()) {
            throw SidecarException.invalidRequest("missing_required_parameter", "messages",
                    "Missing required parameter: 'messages'. Send an array of {\"role\",\"content\"} objects.");
        }
        if (!(messages instanceof ArrayNode array)) {
            throw SidecarException.invalidRequest("invalid_type", "messages",
                    "Invalid type for 'messages': expected an array, got " + describe(messages) + ".");
        }
        if (array.isEmpty()) {
            throw SidecarException.invalidRequest("empty_array", "messages",
                    "Invalid 'messages': empty array. Expected at least one message.");
        }
        for (int i = 0; i < array.size(); i++) {
            JsonNode message = array.get(i);
            if (!message.isObject()) {
                throw SidecarException.invalidRequest("invalid_type", "messages[" + i + "]",
                        "Invalid type for 'messages[" + i + "]': expected an object, got " + describe(message) + ".");
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

    private static OptionalInt positiveInt(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return OptionalInt.empty();
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw SidecarException.invalidRequest("invalid_type", field,
                    "Invalid type for '" + field + "': expected an integer, got " + describe(node) + ".");
        }
        int value = node.intValue();
        if (value < 1) {
            throw SidecarException.invalidRequest("integer_below_min_value", field,
                    "Invalid '" + field + "': integer below minimum value. Expected a value >= 1, but got "
                    + value + " instead.");
        }
        return OptionalInt.of(value);
    }

    private static OptionalDouble temperature(ObjectNode json) {
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

    private static boolean bool(ObjectNode json, String field) {
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

    private static boolean streamOptionsIncludeUsage(ObjectNode json) {
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

    private static Optional<String> optionalString(ObjectNode json, String field) {
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

    private static String describe(JsonNode node) {
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
