package io.llmsidecar.proxy;

import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.ApiRequest;
import io.llmsidecar.openai.OutgoingBody;
import io.llmsidecar.pricing.Estimate;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Everything about what goes to the gateway, decided once, after policy and budget: the body (the caller's bytes,
 * or the policy-patched request with the reserved completion limit and {@code include_usage} written in), and how
 * to relay the answer. The forwarder sends exactly this.
 *
 * @param body             the bytes to send
 * @param stream           whether the app asked for a stream
 * @param relayUsageChunk  whether the app asked for the usage-only chunk itself; otherwise it is hidden from it
 * @param streamLimit      the completion tokens (all choices together) the budget reservation covers: a stream
 *                         going past it is cut off; empty when no budget applies
 * @param query            the request target's query as the app sent it, one the API accepts
 *                         ({@link Api#acceptsQuery}); {@code null} for none
 */
record ForwardPlan(Api api, byte[] body, boolean stream, boolean relayUsageChunk, OptionalLong streamLimit,
                   String query) {
    /** A plan for a request that came without a query. */
    static ForwardPlan of(ApiRequest request, Estimate estimate, OptionalLong reserved) {
        return of(request, estimate, reserved, null);
    }

    /**
     * @param request  the request after the policy's patch
     * @param estimate its estimate (the completion limit per choice when the caller set none)
     * @param reserved what the budget reservation covers, all choices together; empty when no budget applies
     * @param query    the accepted query to forward, or {@code null}
     */
    static ForwardPlan of(ApiRequest request, Estimate estimate, OptionalLong reserved, String query) {
        // Without a limit of its own, the request gets the one reserved, so the gateway cannot produce more.
        OptionalInt limit = reserved.isPresent() && request.maxTokens().isEmpty() && request.limitField().isPresent()
                ? OptionalInt.of((int) Math.min(Integer.MAX_VALUE, Math.max(1, estimate.maxCompletionTokensPerChoice())))
                : OptionalInt.empty();
        // Usage is asked for on every stream that reports it only on request, so it can be billed exactly.
        boolean includeUsage = request.stream() && request.api().streamUsageOnRequest()
                               && !request.clientRequestedUsage();
        byte[] body = OutgoingBody.write(request, limit, includeUsage);
        return new ForwardPlan(request.api(), body, request.stream(), request.clientRequestedUsage(), reserved,
                               query == null || query.isEmpty() ? null : query);
    }
}
