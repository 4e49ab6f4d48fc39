package io.llmsidecar.budget;

import io.llmsidecar.metrics.SidecarMetrics;

import java.lang.System.Logger.Level;
import java.time.Clock;

/**
 * Replays the {@link ReplayLedger} into the store once it answers again (every second, on a thread of its own, and
 * once more at shutdown), oldest first; each settlement goes under its own id, so a copy that ran already adds
 * nothing. While the store has never answered it pings it instead, so readiness follows without traffic.
 */
final class LedgerReplayer {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());
    static final long EVERY_MILLIS = 1000;

    private final ReplayLedger ledger;
    private final BudgetStore store;
    private final StoreHealth health;
    private final StatusView view;
    private final SidecarMetrics metrics;
    private final Clock clock;

    LedgerReplayer(ReplayLedger ledger, BudgetStore store, StoreHealth health, StatusView view,
                   SidecarMetrics metrics, Clock clock) {
        this.ledger = ledger;
        this.store = store;
        this.health = health;
        this.view = view;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Replays usage kept during an outage, oldest first, stopping at the first failure. */
    void replay() {
        if (ledger.isEmpty()) {
            if (!health.everReached()) {
                probe();
            }
            return;
        }
        long requests = 0;
        long tokens = 0;
        for (ReplayLedger.Pending p : ledger.pending()) {
            long started = System.nanoTime();
            try {
                view.remember(store.settle(p.id(), p.used(), p.reserved(), clock.millis()));
            } catch (BudgetStoreUnavailableException e) {
                break;
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Replaying budget usage failed; will retry", e);
                break;
            }
            health.answered("settle", started);
            ledger.done(p);
            requests += p.requests();
            tokens += p.used().isEmpty() ? 0 : p.used().getFirst().tokens();
        }
        if (requests > 0) {
            metrics.budgetReplayed(requests);
            LOG.log(Level.INFO, "Replayed the usage of " + requests + " requests (" + tokens + " tokens per budget) "
                                + "admitted during the budget store outage into " + store.describe());
        }
    }

    /** While the store has never answered, asks it, so readiness follows without traffic. */
    private void probe() {
        long started = System.nanoTime();
        try {
            store.ping();
            health.answered("read", started);
        } catch (BudgetStoreUnavailableException e) {
            health.failed("read", e);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Pinging the budget store failed", e);
        }
    }
}
