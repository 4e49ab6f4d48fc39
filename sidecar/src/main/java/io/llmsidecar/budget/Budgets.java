package io.llmsidecar.budget;

import io.helidon.health.HealthCheck;
import io.helidon.webserver.http.HttpService;
import io.llmsidecar.metrics.SidecarMetrics;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Budgets and rate limits as one running part of the sidecar: opens the store ({@link BudgetStores}), wires the parts
 * that share it, owns their threads and shuts them down in order. The jobs themselves have their own classes:
 * {@link BudgetService} admits and settles requests, {@link LedgerReplayer} replays usage kept during an outage,
 * {@link Renewal} keeps live reservations from expiring, {@link StatusView} reads counters for policies, and
 * {@link BudgetAdminService} serves the admin API.
 *
 * <p>Each background job has a thread of its own, so one slow job never delays another: renewal must run within the
 * reservation TTL whatever replay or a counter read is waiting for.
 */
public final class Budgets implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());

    private final BudgetStore store;
    private final StoreConnection connection;
    private final StoreHealth health;
    private final ReplayLedger ledger;
    private final Renewal renewal;
    private final BudgetService service;
    private final LedgerReplayer replayer;
    private final BudgetAdminService admin;
    private final ExpiredReservations expiredReservations;
    private final boolean anythingToEnforce;
    private final String description;
    private final ScheduledExecutorService renewalThread = daemon("budget-renewal");
    private final ScheduledExecutorService replayThread = daemon("budget-replay");
    private final ExecutorService readThread = daemon("budget-status-read");
    private final AtomicBoolean closed = new AtomicBoolean();

    private Budgets(BudgetsConfig config, BudgetStore store, StoreConnection connection, SidecarMetrics metrics,
                    Clock clock) {
        BudgetStoreConfig storeConfig = config.store();
        List<Budget> budgets = config.budgets();
        this.store = store;
        this.connection = connection;
        this.expiredReservations = storeConfig.expiredReservations();
        this.anythingToEnforce = !budgets.isEmpty() || !config.rateLimits().isEmpty();
        this.description = describe(config, store);
        this.health = new StoreHealth(store.describe(), storeConfig.failureMode(), storeConfig.startupGrace(),
                                      connection.everConnected(), connection::whatIsTried, metrics, clock);
        StatusView view = new StatusView(budgets, store, health, metrics, clock, readThread);
        this.ledger = storeConfig.ledgerFile().isPresent() && !budgets.isEmpty()
                ? ReplayLedger.open(BudgetService::newId, storeConfig.ledgerFile().get(), budgets)
                : ReplayLedger.inMemory(BudgetService::newId);
        this.renewal = new Renewal(store, health, clock, storeConfig.reservationTtl().toMillis());
        this.service = new BudgetService(config, store, health, view, ledger, renewal, metrics, clock);
        this.replayer = new LedgerReplayer(ledger, store, health, view, metrics, clock);
        this.admin = new BudgetAdminService(budgets, store, view, health, clock);
    }

    /** Connects the store the configuration names (waiting briefly for Redis) and starts replay and renewal. */
    public static Budgets start(BudgetsConfig config, SidecarMetrics metrics, Clock clock) {
        BudgetStores.Opened opened = BudgetStores.open(config, metrics);
        Budgets budgets = new Budgets(config, opened.store(), opened.connection(), metrics, clock);
        budgets.start();
        return budgets;
    }

    /** Budgets over a given store, without background tasks (tests drive {@link #replayer()}). */
    static Budgets of(BudgetsConfig config, BudgetStore store, SidecarMetrics metrics, Clock clock) {
        return new Budgets(config, store, StoreConnection.inProcess(), metrics, clock);
    }

    /** Budgets over a given store reached through {@code connection}, without background tasks. */
    static Budgets of(BudgetsConfig config, BudgetStore store, StoreConnection connection, SidecarMetrics metrics,
                      Clock clock) {
        return new Budgets(config, store, connection, metrics, clock);
    }

    private void start() {
        health.reportStartup(connection.connecting());
        if (!anythingToEnforce) {
            return;
        }
        replayThread.scheduleWithFixedDelay(replayer::replay, LedgerReplayer.EVERY_MILLIS,
                                            LedgerReplayer.EVERY_MILLIS, TimeUnit.MILLISECONDS);
        renewalThread.scheduleWithFixedDelay(renewal::renew, renewal.periodMillis(), renewal.periodMillis(),
                                             TimeUnit.MILLISECONDS);
    }

    /** Admission and settlement, and the policy's view of budgets: what the governed routes call. */
    public BudgetService service() {
        return service;
    }

    /** The admin API: {@code GET /admin/budgets} and {@code DELETE /admin/budgets/{budget}/{key}}. */
    public HttpService adminService() {
        return admin;
    }

    /** Readiness: down while requests are refused because the store has never been reachable. */
    public HealthCheck healthCheck() {
        return health.healthCheck();
    }

    /** For the startup log line. */
    public String describe() {
        return description;
    }

    LedgerReplayer replayer() {
        return replayer;
    }

    /**
     * Ends budgeting for shutdown; call it after the server has stopped and in-flight requests have settled (the
     * drain). Reservations still live belong to requests that were cut off: they are billed as an expired
     * reservation would be ({@code budget-store.expired-reservations}). Then the ledger is replayed if the store
     * answers; what it cannot take stays in the ledger file for the next start (without a file it is lost, and
     * the log says so).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        renewalThread.shutdownNow();
        replayThread.shutdownNow();
        List<Reservation> cut = renewal.live();
        for (Reservation r : cut) {
            r.settleAsHeld(expiredReservations == ExpiredReservations.CHARGE);
        }
        if (!cut.isEmpty()) {
            LOG.log(Level.WARNING, cut.size() + " budget reservations were still open at shutdown; "
                                   + (expiredReservations == ExpiredReservations.CHARGE
                                      ? "charged what they held" : "released") + " (budget-store.expired-"
                                   + "reservations)");
        }
        replayer.replay();
        if (!ledger.isEmpty()) {
            LOG.log(Level.WARNING, "Stopping with the usage of " + ledger.requests() + " requests that the budget "
                                   + "store has not taken yet (it is unreachable); "
                                   + (ledger.where().equals("memory") ? "that usage is lost (set "
                                                                        + "budget-store.ledger-file to keep it)"
                                      : "it stays in " + ledger.where() + " and is replayed after the next start"));
        }
        ledger.close();
        readThread.shutdownNow();
        store.close();
        try {
            connection.close();
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Closing the Redis client failed", e);
        }
    }

    private static ScheduledExecutorService daemon(String name) {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name).daemon(true).factory());
    }

    private static String describe(BudgetsConfig config, BudgetStore store) {
        if (!config.enabled()) {
            return "none configured";
        }
        return config.budgets().size() + " budgets, " + config.rateLimits().size() + " rate limits in "
               + store.describe() + " (" + config.store().failureMode().label() + ", expired reservations: "
               + config.store().expiredReservations().label() + ")";
    }
}
