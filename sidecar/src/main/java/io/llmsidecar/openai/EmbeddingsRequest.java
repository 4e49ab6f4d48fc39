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
    private final RequestFields fields;

    private EmbeddingsRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        String model = Fields.requiredModel(json);
        List<PromptText> found = new ArrayList<>();
        Fields.stringOrStrings(json, "input", true, found);
        // Nothing is generated, so no limit applies; one sent anyway is refused rather than left for a gateway to read.
        LimitFields.check(json, "embeddings", List.of());
        Fields.positiveInt(json, "dimensions");
        Fields.optionalString(json, "encoding_format");
        Optional<String> user = Fields.optionalString(json, "user");
        if (json.has("stream")) {
            throw SidecarException.invalidRequest("unsupported_parameter", "stream",
                    "Unsupported parameter: 'stream' is not part of the embeddings API.");
        }
        // No completion: no limit, one result, no stream (so no usage chunk to hide), no tools.
        this.fields = new RequestFields(raw, json, rewritten, model, List.copyOf(found), OptionalInt.empty(), 1,
                                        OptionalDouble.empty(), false, true, user, 0);
    }

    public static EmbeddingsRequest parse(byte[] body) {
        return new EmbeddingsRequest(body, StrictJson.object(body, "'model' and 'input'"), false);
    }

    @Override
    public Api api() {
        return Api.EMBEDDINGS;
    }

    @Override
    public RequestFields fields() {
        return fields;
    }

    @Override
    public Optional<String> limitField() {
        return Optional.empty();
    }

    /** Only a model patch applies; embeddings have no completion limit. */
    @Override
    public EmbeddingsRequest withPatch(RequestPatch patch) {
        return patch.model().isEmpty() ? this : new EmbeddingsRequest(raw(), Fields.patched(json(), patch, null), true);
    }
}
