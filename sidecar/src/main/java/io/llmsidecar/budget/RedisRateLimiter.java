package io.llmsidecar.budget;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.llmsidecar.identity.Subject;

import java.time.Duration;
import java.util.List;

/**
 * Rate limits shared by every replica: Bucket4j buckets in Redis through its Lettuce proxy manager (compare-and-swap
 * in Lua, so concurrent replicas never both take the last token). Any Redis failure surfaces as
 * {@link BudgetStoreUnavailableException}, so the failure mode decides, as for budgets.
 */
final class RedisRateLimiter implements RateLimiter {
    /** Buckets expire once they would be full again, plus this margin: idle keys cost Redis nothing. */
    private static final Duration KEEP_AFTER_REFILL = Duration.ofSeconds(10);

    private final RedisConnector.Lazy<byte[]> redis;
    private final BucketRateLimiter limiter;
    private volatile Managed managed;

    private record Managed(StatefulConnection<String, byte[]> connection, ProxyManager<String> manager) {
    }

    RedisRateLimiter(RedisConnector connector, List<RateLimit> limits, String prefix, Duration timeout) {
        this.redis = connector.connection(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        this.limiter = new BucketRateLimiter(limits, (id, config) -> manager(timeout).builder()
                .build(prefix + "rl:" + id, () -> config));
    }

    @Override
    public RateDecision admit(Subject subject, String model, long promptTokens) {
        try {
            return limiter.admit(subject, model, promptTokens);
        } catch (BudgetStoreUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BudgetStoreUnavailableException("rate limits in Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void recordCompletion(Subject subject, String model, long completionTokens) {
        try {
            limiter.recordCompletion(subject, model, completionTokens);
        } catch (BudgetStoreUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BudgetStoreUnavailableException("rate limits in Redis: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        redis.close();
    }

    @SuppressWarnings("unchecked")
    private ProxyManager<String> manager(Duration timeout) {
        StatefulConnection<String, byte[]> connection = redis.connection();
        Managed m = managed;
        if (m == null || m.connection() != connection) {
            var builder = connection instanceof StatefulRedisClusterConnection<?, ?> cluster
                    ? Bucket4jLettuce.casBasedBuilder((StatefulRedisClusterConnection<String, byte[]>) cluster)
                    : Bucket4jLettuce.casBasedBuilder((StatefulRedisConnection<String, byte[]>) connection);
            m = new Managed(connection, builder
                    .expirationAfterWrite(
                            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_REFILL))
                    .requestTimeout(timeout)
                    .build());
            managed = m;
        }
        return m.manager();
    }
}
