package io.llmsidecar.tracing;

import java.util.List;

/**
 * What a governed request's server span says once it ends: counts, names, codes and kinds, never prompt or
 * completion text and never a key. Strings are empty (lists empty, numbers negative) when unknown.
 *
 * @param requestModel   the model as forwarded (after a policy's patch)
 * @param responseModel  the model the gateway says answered
 * @param maxTokens      the completion limit the request carried, -1 if none
 * @param stream         whether the app asked for a stream
 * @param status         the HTTP status the app got
 * @param outcome        the outcome metric label ({@code allowed}, {@code denied_policy}...)
 * @param errorType      the error's kind when the request failed or was refused ({@code policy_denied}...), else
 *                       empty
 * @param errorCode      the error's code ({@code budget_exceeded}, {@code model_not_allowed}...), else empty
 * @param usageSource    {@code gateway} or {@code estimated}; empty when nothing was billed
 * @param costUsd        what the request cost, -1 when unpriced or not forwarded
 * @param finishReasons  why generation stopped, as the gateway said
 * @param decision       {@code allow}, {@code deny} or {@code error}; empty when no policy ran
 * @param denyReasons    the policy's reason codes (never its messages, which may quote the prompt)
 * @param findings       the detectors' finding kinds ({@code aws_access_key}...), never what matched
 * @param budget         the budget step's outcome ({@code settled}, {@code exceeded}...); empty when not reached
 * @param firstTokenAt   {@link System#nanoTime()} of the first generated text of a stream, 0 if none
 */
public record SpanFacts(String requestModel, String responseModel, long maxTokens, boolean stream, int status,
                        String outcome, String errorType, String errorCode, String requestId, String team,
                        String policyRevision, String decision, List<String> denyReasons, List<String> findings,
                        String patchedFields, String budget, long inputTokens, long outputTokens,
                        long cacheReadTokens, long cacheCreationTokens, String usageSource, double costUsd,
                        List<String> finishReasons, long firstTokenAt) {
}
