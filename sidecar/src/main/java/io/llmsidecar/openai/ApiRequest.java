package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The common view of a governed request, whatever its dialect: what policies, budgets, detectors and the forwarder
 * need, read once from a strictly parsed body. Each dialect's adapter builds it and answers 400 naming the
 * parameter at fault; nothing refused is forwarded.
 */
public sealed interface ApiRequest permits ChatRequest, ResponsesRequest, EmbeddingsRequest, CompletionsRequest,
        MessagesRequest {
    Api api();

    /** What was read out of the body; the accessors below answer from it. */
    RequestFields fields();

    default String model() {
        return fields().model();
    }

    /** Every piece of prompt text the caller sends, with where it came from; what detectors scan. */
    default List<PromptText> promptTexts() {
        return fields().promptTexts();
    }

    /**
     * What detectors scan: the prompt texts, then every other string of the body ({@link BodyStrings}: tool
     * definitions, {@code prediction}, {@code metadata}, unknown fields), media payloads excepted.
     */
    default List<PromptText> scannedTexts() {
        List<PromptText> others = BodyStrings.outside(json(), promptTexts(), opaqueStrings());
        if (others.isEmpty()) {
            return promptTexts();
        }
        List<PromptText> all = new ArrayList<>(promptTexts().size() + others.size());
        all.addAll(promptTexts());
        all.addAll(others);
        return all;
    }

    /**
     * Strings of the body no detector can read and that are not scanned: encoded media and signatures a dialect
     * recognises by their place and type (compared by identity, like prompt texts).
     */
    default List<String> opaqueStrings() {
        return List.of();
    }

    /**
     * Whether the request asks the gateway to write its prompt to a cache (Anthropic's {@code cache_control}),
     * which is priced above plain input: the most it can cost prices the prompt at the cache-write price.
     */
    default boolean writesPromptCache() {
        return false;
    }

    /** The completion limit per choice the caller asked for, in the dialect's own field; empty when unset. */
    default OptionalInt maxTokens() {
        return fields().maxTokens();
    }

    /** How many completions one request produces ({@code n}, and {@code best_of} for legacy completions); 1 if unset. */
    default int choices() {
        return fields().choices();
    }

    /** The field a completion limit is written to ({@code max_tokens}, {@code max_output_tokens}...); empty for embeddings. */
    Optional<String> limitField();

    default OptionalDouble temperature() {
        return fields().temperature();
    }

    default boolean stream() {
        return fields().stream();
    }

    /** Whether the caller itself asked for the usage chunk of a stream ({@code stream_options.include_usage}). */
    default boolean clientRequestedUsage() {
        return fields().clientRequestedUsage();
    }

    /** The body's {@code user}, app-attested attribution. */
    default Optional<String> user() {
        return fields().user();
    }

    default int toolsCount() {
        return fields().toolsCount();
    }

    /** The parsed body, read-only by convention. */
    default ObjectNode json() {
        return fields().json();
    }

    /** The caller's bytes, forwarded as they are unless something has to change. */
    default byte[] raw() {
        return fields().raw();
    }

    default int rawSize() {
        return raw().length;
    }

    /** True once a patch changed the tree: the caller's bytes no longer describe the request. */
    default boolean rewritten() {
        return fields().rewritten();
    }

    /**
     * The request as the gateway will see it after {@code patch}: the model and limit budgets must price. The
     * limit goes into {@link #limitField()}.
     */
    ApiRequest withPatch(RequestPatch patch);
}
