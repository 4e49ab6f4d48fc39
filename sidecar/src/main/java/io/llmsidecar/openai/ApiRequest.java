package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The common view of a governed request, whatever its dialect: what policies, budgets, detectors and the forwarder
 * need, read once from a strictly parsed body. Each dialect's adapter builds it and answers 400 naming the
 * parameter at fault; nothing refused is forwarded.
 */
public sealed interface ApiRequest permits ChatRequest, ResponsesRequest, EmbeddingsRequest, CompletionsRequest {
    Api api();

    String model();

    /** Every piece of prompt text the caller sends, with where it came from; what detectors scan. */
    List<PromptText> promptTexts();

    /** The completion limit per choice the caller asked for, in the dialect's own field; empty when unset. */
    OptionalInt maxTokens();

    /** How many completions one request produces ({@code n}, and {@code best_of} for legacy completions); 1 if unset. */
    int choices();

    /** The field a completion limit is written to ({@code max_tokens}, {@code max_output_tokens}...); empty for embeddings. */
    Optional<String> limitField();

    OptionalDouble temperature();

    boolean stream();

    /** Whether the caller itself asked for the usage chunk of a stream ({@code stream_options.include_usage}). */
    boolean clientRequestedUsage();

    /** The body's {@code user}, app-attested attribution. */
    Optional<String> user();

    int toolsCount();

    /** The parsed body, read-only by convention. */
    ObjectNode json();

    /** The caller's bytes, forwarded as they are unless something has to change. */
    byte[] raw();

    default int rawSize() {
        return raw().length;
    }

    /** True once a patch changed the tree: the caller's bytes no longer describe the request. */
    boolean rewritten();

    /**
     * The request as the gateway will see it after {@code patch}: the model and limit budgets must price. The
     * limit goes into {@link #limitField()}.
     */
    ApiRequest withPatch(RequestPatch patch);
}
