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

    private final byte[] raw;
    private final ObjectNode json;
    private final boolean rewritten;
    private final String model;
    private final List<PromptText> texts;
    private final OptionalInt maxTokens;
    private final int choices;
    private final OptionalDouble temperature;
    private final boolean stream;
    private final boolean clientRequestedUsage;
    private final Optional<String> user;

    private CompletionsRequest(byte[] raw, ObjectNode json, boolean rewritten) {
        this.raw = raw;
        this.json = json;
        this.rewritten = rewritten;
        this.model = Fields.requiredModel(json);
        List<PromptText> found = new ArrayList<>();
        Fields.stringOrStrings(json, "prompt", true, found);
        Fields.optionalString(json, "suffix").ifPresent(t -> found.add(new PromptText(t, "suffix")));
        this.texts = List.copyOf(found);
        this.maxTokens = Fields.positiveInt(json, LIMIT_FIELD);
        int n = Fields.intInRange(json, "n", 1, ChatRequest.MAX_CHOICES).orElse(1);
        int bestOf = Fields.intInRange(json, "best_of", 1, ChatRequest.MAX_CHOICES).orElse(1);
        // Each prompt of an array is completed on its own: n choices per prompt.
        int prompts = json.get("prompt").isArray() ? json.get("prompt").size() : 1;
        this.choices = Math.multiplyExact(Math.max(n, bestOf), prompts);
        this.temperature = Fields.temperature(json);
        this.stream = Fields.bool(json, "stream");
        this.clientRequestedUsage = Fields.streamOptionsIncludeUsage(json);
        this.user = Fields.optionalString(json, "user");
    }

    public static CompletionsRequest parse(byte[] body) {
        return new CompletionsRequest(body, StrictJson.object(body, "'model' and 'prompt'"), false);
    }

    @Override
    public Api api() {
        return Api.COMPLETIONS;
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
        return maxTokens;
    }

    @Override
    public int choices() {
        return choices;
    }

    @Override
    public Optional<String> limitField() {
        return Optional.of(LIMIT_FIELD);
    }

    @Override
    public OptionalDouble temperature() {
        return temperature;
    }

    @Override
    public boolean stream() {
        return stream;
    }

    @Override
    public boolean clientRequestedUsage() {
        return clientRequestedUsage;
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

    @Override
    public CompletionsRequest withPatch(RequestPatch patch) {
        return patch.isEmpty() ? this : new CompletionsRequest(raw, Fields.patched(json, patch, LIMIT_FIELD), true);
    }
}
