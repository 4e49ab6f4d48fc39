package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A validated {@code POST /v1/embeddings} body: {@code input} is a string or an array of strings (token-id arrays
 * are refused: no policy can read them). Embeddings produce no completion tokens and never stream; usage is
 * {@code usage.prompt_tokens}.
 */
public final class EmbeddingsRequest implements ApiRequest {
    private final byte[] raw;
    private final ObjectNode json;
    private final boolean rewritten;
    private final String model;
    private final List<PromptText> texts;
    private final Optional<String> user;

    private EmbeddingsRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        this.raw = raw;
        this.json = json;
        this.rewritten = rewritten;
        this.model = Fields.requiredModel(json);
        List<PromptText> found = new ArrayList<>();
        Fields.stringOrStrings(json, "input", true, found);
        this.texts = List.copyOf(found);
        Fields.positiveInt(json, "dimensions");
        Fields.optionalString(json, "encoding_format");
        this.user = Fields.optionalString(json, "user");
        if (json.has("stream")) {
            throw SidecarException.invalidRequest("unsupported_parameter", "stream",
                    "Unsupported parameter: 'stream' is not part of the embeddings API.");
        }
    }

    public static EmbeddingsRequest parse(byte[] body) {
        return new EmbeddingsRequest(body, StrictJson.object(body, "'model' and 'input'"), false);
    }

    @Override
    public Api api() {
        return Api.EMBEDDINGS;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public List<PromptText> promptTexts() {
        return texts;
    }

    @Override
    public OptionalInt maxTokens() {
        return OptionalInt.empty();
    }

    @Override
    public int choices() {
        return 1;
    }

    @Override
    public Optional<String> limitField() {
        return Optional.empty();
    }

    @Override
    public OptionalDouble temperature() {
        return OptionalDouble.empty();
    }

    @Override
    public boolean stream() {
        return false;
    }

    @Override
    public boolean clientRequestedUsage() {
        return true;
    }

    @Override
    public Optional<String> user() {
        return user;
    }

    @Override
    public int toolsCount() {
        return 0;
    }

    @Override
    public ObjectNode json() {
        return json;
    }

    @Override
    public byte[] raw() {
        return raw;
    }

    @Override
    public boolean rewritten() {
        return rewritten;
    }

    /** Only a model patch applies; embeddings have no completion limit. */
    @Override
    public EmbeddingsRequest withPatch(RequestPatch patch) {
        return patch.model().isEmpty() ? this : new EmbeddingsRequest(raw, Fields.patched(json, patch, null), true);
    }
}
