package io.llmsidecar.budget;

import io.llmsidecar.metrics.SidecarMetrics;

import java.util.function.LongConsumer;

/**
 * Makes the store the configuration names: Redis when {@code budget-store.redis-uri} is set (the sidecar's, or the
 * operator CLI's), else counters in this process.
 */
final class BudgetStores {
    /** A store and the connection behind it, which is closed after the store. */
    record Opened(BudgetStore store, StoreConnection connection) {
    }

    private BudgetStores() {
    }

    /** The sidecar's store: connects to Redis (waiting briefly for its first answer), or keeps counters here. */
    static Opened open(BudgetsConfig config, SidecarMetrics metrics) {
        ExpiredReservations expired = config.store().expiredReservations();
        LongConsumer onExpired = n -> metrics.budgetReservationsExpired(expired.label(), n);
        if (config.enabled() && config.store().redisUri().isPresent()) {
            RedisConnector connector = RedisConnector.create(config.store());
            return new Opened(redis(connector, config.store(), onExpired), connector);
        }
        return new Opened(new InMemoryBudgetStore(expired, onExpired), StoreConnection.inProcess());
    }

    /** The Redis store over {@code connector}; {@code onExpired} counts the reservations it ends after their TTL. */
    static RedisBudgetStore redis(RedisConnector connector, BudgetStoreConfig config, LongConsumer onExpired) {
        return new RedisBudgetStore(connector, config.keyPrefix(), config.expiredReservations(), onExpired);
    }
}
