package io.llmsidecar.pricing;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The completion limit a request that sets no {@code max_tokens} gets, which is what its budget reservation covers
 * and what the sidecar writes into the forwarded request.
 *
 * @param gateway  {@code upstream.default-max-tokens}: what the gateway itself defaults to (the Unbound gateway
 *                 documents 1000); the model's own maximum caps it. Empty for gateways that let the model run to its
 *                 maximum.
 * @param fallback {@code pricing.default-max-completion-tokens}: for a model whose maximum the price book does not
 *                 know, when no gateway default applies
 */
public record CompletionDefault(OptionalInt gateway, int fallback) {
    /** The limit for a request to {@code model} that sets none. */
    long limitFor(Optional<PricedModel> model) {
        OptionalInt modelMax = model.map(m -> m.price().maxTokens()).filter(n -> n > 0)
                .map(OptionalInt::of).orElse(OptionalInt.empty());
        if (gateway.isPresent()) {
            return modelMax.isPresent() ? Math.min(gateway.getAsInt(), modelMax.getAsInt()) : gateway.getAsInt();
        }
        return modelMax.orElse(fallback);
    }
}
