package io.llmsidecar.budget;

import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rate limits shared by every replica: Bucket4j buckets in Redis through its Lettuce proxy manager (compare-and-swap
 * in Lua, so concurrent replicas never both take the last token). Any Redis failure surfaces as
 * {@link BudgetStoreUnavailableException}, so the failure mode decides, as for budgets.
 *
 * <p>One bucket proxy per key is kept and built with Bucket4j's batching optimization: concurrent requests of one
 * key (an app's burst, all on its team's bucket) share one compare-and-swap instead of racing each other's, which
 * under 16 concurrent requests retried until Redis calls timed out. Batching changes nothing about exactness.
 */
final class RedisRateLimiter implements RateLimiter {
    /** Buckets expire once they would be full again, plus this margin: idle keys cost Redis nothing. */
    private static final Duration KEEP_AFTER_REFILL = Duration.ofSeconds(10);

    private final RedisConnector.Lazy<byte[]> redis;
    private final BucketRateLimiter limiter;
    private volatile Managed managed;

    /** Bucket proxies kept per key beyond this many are dropped (and rebuilt on use): they are cheap to rebuild. */
    private static final int MAX_PROXIES = 10_000;

    private record Managed(StatefulConnection<String, byte[]> connection, ProxyManager<String> manager,
                           Map<String, BucketProxy> proxies) {
    }

    RedisRateLimiter(RedisConnector connector, List<RateLimit> limits, String prefix, Duration timeout) {
        this.redis = connector.connection(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        this.limiter = new BucketRateLimiter(limits, (id, config) -> {
            Managed m = managed(timeout);
            BucketProxy proxy = m.proxies().get(id);
            if (proxy == null) {
                if (m.proxies().size() >= MAX_PROXIES) {
                    m.proxies().clear();
                }
                proxy = m.proxies().computeIfAbsent(id, k -> m.manager().builder()
                        .withOptimization(Optimizations.batching())
                        .build(prefix + "rl:" + k, () -> config));
            }
            return proxy;
        });
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
    private Managed managed(Duration timeout) {
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
                    .build(), new ConcurrentHashMap<>());
            managed = m;
        }
        return m;
    }
}
