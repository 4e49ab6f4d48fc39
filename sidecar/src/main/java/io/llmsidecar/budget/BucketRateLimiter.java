package io.llmsidecar.budget;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.llmsidecar.identity.Subject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rate limits as Bucket4j token buckets, two per limit and key (requests, tokens), refilled greedily over a minute.
 * Where the buckets live is the {@link Buckets} given: this process, or Redis through Bucket4j's Lettuce proxy
 * manager ({@link RedisRateLimiter}).
 */
final class BucketRateLimiter implements RateLimiter {
    /** Local buckets beyond this many are pruned of the ones that are full again, i.e. idle. */
    private static final int LOCAL_BUCKETS = 10_000;

    /** Finds or creates the bucket {@code id} with {@code config}. */
    @FunctionalInterface
    interface Buckets {
        Bucket bucket(String id, BucketConfiguration config);
    }

    private record Limit(RateLimit limit, BucketConfiguration requests, BucketConfiguration tokens) {
    }

    private final List<Limit> limits;
    private final Buckets buckets;

    BucketRateLimiter(List<RateLimit> limits, Buckets buckets) {
        this.limits = limits.stream().map(l -> new Limit(l, perMinute(l.requestsPerMinute()),
                                                          l.tokensPerMinute().isPresent()
                                                                  ? perMinute(l.tokensPerMinute().getAsLong())
                                                                  : null)).toList();
        this.buckets = buckets;
    }

    /** Buckets in this process: the embedded mode, and the fallback while Redis is down in fail-open mode. */
    static BucketRateLimiter local(List<RateLimit> limits) {
        Map<String, Bucket> local = new ConcurrentHashMap<>();
        return new BucketRateLimiter(limits, (id, config) -> {
            if (local.size() > LOCAL_BUCKETS) {
                local.values().removeIf(b -> b.getAvailableTokens() >= config.getBandwidths()[0].getCapacity());
            }
            return local.computeIfAbsent(id, k -> Bucket.builder().addLimit(config.getBandwidths()[0]).build());
        });
    }

    @Override
    public RateDecision admit(Subject subject, String model, long promptTokens) {
        List<Runnable> refunds = new ArrayList<>(limits.size() * 2);
        for (Limit l : limits) {
            String key = Scope.key(l.limit().scope(), subject, model);
            Bucket requests = buckets.bucket(id(l, key, "requests"), l.requests());
            ConsumptionProbe probe = requests.tryConsumeAndReturnRemaining(1);
            if (!probe.isConsumed()) {
                refunds.forEach(Runnable::run);
                return new RateDecision.Limited(l.limit(), key, "requests", probe.getNanosToWaitForRefill());
            }
            refunds.add(() -> requests.addTokens(1));
            if (l.tokens() != null && promptTokens > 0) {
                // A prompt larger than the whole minute's capacity waits for a full bucket instead of forever.
                long take = Math.min(promptTokens, l.limit().tokensPerMinute().getAsLong());
                Bucket tokens = buckets.bucket(id(l, key, "tokens"), l.tokens());
                ConsumptionProbe tokenProbe = tokens.tryConsumeAndReturnRemaining(take);
                if (!tokenProbe.isConsumed()) {
                    refunds.forEach(Runnable::run);
                    return new RateDecision.Limited(l.limit(), key, "tokens", tokenProbe.getNanosToWaitForRefill());
                }
                refunds.add(() -> tokens.addTokens(take));
            }
        }
        return RateDecision.ADMITTED;
    }

    @Override
    public void recordCompletion(Subject subject, String model, long completionTokens) {
        if (completionTokens <= 0) {
            return;
        }
        for (Limit l : limits) {
            if (l.tokens() != null) {
                String key = Scope.key(l.limit().scope(), subject, model);
                buckets.bucket(id(l, key, "tokens"), l.tokens()).consumeIgnoringRateLimits(completionTokens);
            }
        }
    }

    @Override
    public void close() {
    }

    private static String id(Limit l, String key, String unit) {
        return l.limit().name() + ":" + key + ":" + unit;
    }

    private static BucketConfiguration perMinute(long amount) {
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(amount).refillGreedy(amount, Duration.ofMinutes(1)))
                .build();
    }
}
