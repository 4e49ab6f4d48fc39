package io.llmsidecar.budget;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reservations of requests still running, renewed before their TTL so a long stream does not lose what it
 * holds (runs on its own thread: a slow price refresh must never hold it past the TTL).
 */
final class Renewal {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());

    private final Map<String, Reservation> live = new ConcurrentHashMap<>();
    private final BudgetStore store;
    private final StoreHealth health;
    private final Clock clock;
    private final long ttlMillis;

    Renewal(BudgetStore store, StoreHealth health, Clock clock, long ttlMillis) {
        this.store = store;
        this.health = health;
        this.clock = clock;
        this.ttlMillis = ttlMillis;
    }

    void track(Reservation r) {
        live.put(r.id, r);
    }

    void untrack(Reservation r) {
        live.remove(r.id);
    }

    List<Reservation> live() {
        return new ArrayList<>(live.values());
    }

    /** How often {@link #renew} should run: a third of the TTL, so two renewals may fail before one expires. */
    long periodMillis() {
        return Math.max(1000, ttlMillis / 3);
    }

    void renew() {
        long now = clock.millis();
        List<String> ids = new ArrayList<>();
        for (Reservation r : live.values()) {
            if (now - r.renewedAt >= ttlMillis / 3) {
                ids.add(r.id);
                r.renewedAt = now;
            }
        }
        if (ids.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        try {
            store.renew(ids, now + ttlMillis);
            health.answered("renew", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("renew", e);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Renewing budget reservations failed", e);
        }
    }
}
