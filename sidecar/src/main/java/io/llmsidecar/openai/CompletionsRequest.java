package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A validated {@code POST /v1/completions} body (the legacy completions API): {@code prompt} is a string or an array
 * of strings (token-id arrays are refused), {@code suffix} is prompt text too. The limit is {@code max_tokens};
 * {@code n} completions are returned out of {@code best_of} generated, and every generated one is billed, so the
 * choices to budget are the larger of the two. Streams report usage in a final chunk when
 * {@code stream_options.include_usage} is set, as chat does.
 */
public final class CompletionsRequest implements ApiRequest {
    static final String LIMIT_FIELD = "max_tokens";

    private final RequestFields fields;

    private CompletionsRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        String model = Fields.requiredModel(json);
        List<PromptText> found = new ArrayList<>();
        Fields.stringOrStrings(json, "prompt", true, found);
        Fields.optionalString(json, "suffix").ifPresent(t -> found.add(new PromptText(t, "suffix")));
        LimitFields.check(json, "legacy completions", List.of(LIMIT_FIELD));
        OptionalInt maxTokens = Fields.positiveInt(json, LIMIT_FIELD);
        int n = Fields.intInRange(json, "n", 1, ChatRequest.MAX_CHOICES).orElse(1);
        int bestOf = Fields.intInRange(json, "best_of", 1, ChatRequest.MAX_CHOICES).orElse(1);
        // Each prompt of an array is completed on its own: n choices per prompt.
        int prompts = json.get("prompt").isArray() ? json.get("prompt").size() : 1;
        int choices = Math.multiplyExact(Math.max(n, bestOf), prompts);
        OptionalDouble temperature = Fields.temperature(json);
        boolean stream = Fields.bool(json, "stream");
        boolean clientRequestedUsage = Fields.streamOptionsIncludeUsage(json);
        Optional<String> user = Fields.optionalString(json, "user");
        this.fields = new RequestFields(raw, json, rewritten, model, List.copyOf(found), maxTokens, choices,
                                        temperature, stream, clientRequestedUsage, user, 0);
    }

    public static CompletionsRequest parse(byte[] body) {
        return new CompletionsRequest(body, StrictJson.object(body, "'model' and 'prompt'"), false);
    }

    @Override
    public Api api() {
        return Api.COMPLETIONS;
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
    public CompletionsRequest withPatch(RequestPatch patch) {
        return patch.isEmpty() ? this : new CompletionsRequest(raw(), Fields.patched(json(), patch, LIMIT_FIELD), true);
    }
}
