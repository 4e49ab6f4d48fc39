package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.SidecarException;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code rate-limits}: requests and tokens per minute per scope tuple, as takes the store applies in the same
 * step as the budget charges. Tokens are counted in two steps: a request must find room for its prompt to be
 * admitted, and its completion is taken afterwards even past the limit, so the next requests wait until the minute
 * has paid for it. While the store is down in fail-open mode each replica limits on its own ({@link LocalBuckets}).
 */
final class RateLimits {
    private final List<RateLimit> limits;
    private final boolean countsTokens;
    private final LocalBuckets fallback = new LocalBuckets();

    RateLimits(List<RateLimit> limits) {
        this.limits = List.copyOf(limits);
        this.countsTokens = limits.stream().anyMatch(l -> l.tokensPerMinute().isPresent());
    }

    /** One request and its prompt's tokens from every limit that applies. */
    List<RateTake> admission(Subject subject, String model, long promptTokens) {
        if (limits.isEmpty()) {
            return List.of();
        }
        List<RateTake> takes = new ArrayList<>(limits.size() * 2);
        for (RateLimit l : limits) {
            String key = Scope.key(l.scope(), subject, model);
            takes.add(new RateTake(l, key, RateTake.Unit.REQUESTS, 1));
            if (l.tokensPerMinute().isPresent() && promptTokens > 0) {
                // A prompt larger than the whole minute's capacity waits for a full bucket instead of forever.
                takes.add(new RateTake(l, key, RateTake.Unit.TOKENS,
                                       Math.min(promptTokens, l.tokensPerMinute().getAsLong())));
            }
        }
        return takes;
    }

    /** The completion's tokens from every token limit that applies. */
    List<RateTake> completion(Subject subject, String model, long completionTokens) {
        if (!countsTokens || completionTokens <= 0) {
            return List.of();
        }
        List<RateTake> takes = new ArrayList<>(limits.size());
        for (RateLimit l : limits) {
            if (l.tokensPerMinute().isPresent()) {
                takes.add(new RateTake(l, Scope.key(l.scope(), subject, model), RateTake.Unit.TOKENS,
                                       completionTokens));
            }
        }
        return takes;
    }

    /** Applies {@code takes} to this replica's own buckets (the store is down, fail-open); throws 429 when short. */
    void admitLocally(List<RateTake> takes) {
        if (takes.isEmpty()) {
            return;
        }
        ReserveResult.RateLimited limited = fallback.take(takes);
        if (limited != null) {
            throw refusal(takes, limited);
        }
    }

    void completeLocally(List<RateTake> completion) {
        fallback.overdraw(completion);
    }

    /** 429 {@code rate_limited} for the take the store found short. */
    static SidecarException refusal(List<RateTake> takes, ReserveResult.RateLimited limited) {
        return BudgetErrors.rateLimited(takes.get(limited.index()), limited.waitNanos());
    }
}
