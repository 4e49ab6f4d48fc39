package io.llmsidecar.budget;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rate-limit buckets in this process, as Bucket4j token buckets refilled greedily over a minute: the embedded store's,
 * and each replica's own limits while Redis is down in fail-open mode (better an approximate limit than none).
 */
final class LocalBuckets {
    /** Buckets beyond this many are pruned of the ones that are full again, i.e. idle. */
    private static final int MAX_BUCKETS = 10_000;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Takes every take or none; the refusal names the take whose bucket was short. */
    ReserveResult.RateLimited take(List<RateTake> takes) {
        for (int i = 0; i < takes.size(); i++) {
            RateTake t = takes.get(i);
            ConsumptionProbe probe = bucket(t).tryConsumeAndReturnRemaining(t.amount());
            if (!probe.isConsumed()) {
                for (int j = 0; j < i; j++) {
                    bucket(takes.get(j)).addTokens(takes.get(j).amount());
                }
                return new ReserveResult.RateLimited(i, probe.getNanosToWaitForRefill(), List.of());
            }
        }
        return null;
    }

    /** Takes past the limit: a completion is paid for by the requests after it. */
    void overdraw(List<RateTake> takes) {
        for (RateTake t : takes) {
            if (t.amount() > 0) {
                bucket(t).consumeIgnoringRateLimits(t.amount());
            }
        }
    }

    private Bucket bucket(RateTake take) {
        Bucket b = buckets.get(take.bucketId());
        if (b != null) {
            return b;
        }
        if (buckets.size() > MAX_BUCKETS) {
            buckets.values().removeIf(x -> x.getAvailableTokens() >= take.perMinute());
        }
        long size = take.perMinute();
        return buckets.computeIfAbsent(take.bucketId(), k -> Bucket.builder()
                .addLimit(l -> l.capacity(size).refillGreedy(size, Duration.ofMinutes(1))).build());
    }
}
