package io.llmsidecar.budget;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.llmsidecar.metrics.SidecarMetrics;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Whether the budget store answers, and what the failure mode may do about it. Fail-open covers outages of a store
 * that was working: a store that has never answered since start is a misconfiguration (a wrong URI, a Cluster named
 * as a single server), so after the startup grace it is treated as fail-closed, logged as an ERROR that names the URI
 * and what was tried, exported as {@code llm_sidecar_budget_store_connected 0}, and reported as not ready.
 */
final class StoreHealth {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());
    private static final Duration REPEAT_ERROR = Duration.ofMinutes(1);

    private final String description;
    private final FailureMode failureMode;
    private final Duration startupGrace;
    private final SidecarMetrics metrics;
    private final Clock clock;
    private final Supplier<String> whatWasTried;
    private final long startedAt;
    private final AtomicBoolean everReached;
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private final AtomicLong nextError = new AtomicLong();

    StoreHealth(String description, FailureMode failureMode, Duration startupGrace, boolean reachedAlready,
                Supplier<String> whatWasTried, SidecarMetrics metrics, Clock clock) {
        this.description = description;
        this.failureMode = failureMode;
        this.startupGrace = startupGrace;
        this.metrics = metrics;
        this.clock = clock;
        this.whatWasTried = whatWasTried;
        this.startedAt = clock.millis();
        this.everReached = new AtomicBoolean(reachedAlready);
        metrics.budgetStoreConnected(reachedAlready);
    }

    /**
     * Logs at startup when the first connection attempt failed: nobody should wait for a request to find out. An
     * attempt still under way is left to the first call or probe to judge.
     */
    void reportStartup(boolean stillConnecting) {
        if (!everReached.get() && !stillConnecting) {
            neverReached();
        }
    }

    /** A call answered after {@code startedNanos}. */
    void answered(String operation, long startedNanos) {
        metrics.budgetStoreCall(operation, System.nanoTime() - startedNanos);
        answered();
    }

    void answered() {
        if (everReached.compareAndSet(false, true)) {
            metrics.budgetStoreConnected(true);
            LOG.log(Level.INFO, "Budget store " + description + " is connected");
        }
        if (reachable.compareAndSet(false, true)) {
            LOG.log(Level.INFO, "Budget store " + description + " is reachable again");
        }
    }

    void failed(String operation, BudgetStoreUnavailableException e) {
        metrics.budgetStoreError(operation);
        if (!everReached.get()) {
            neverReached();
            return;
        }
        if (reachable.compareAndSet(true, false)) {
            LOG.log(Level.WARNING, "Budget store " + description + " is unreachable (" + e.getMessage() + "); "
                                   + (failureMode == FailureMode.FAIL_OPEN
                                      ? "failure-mode fail-open: admitting requests and keeping their usage to "
                                        + "replay when it is back"
                                      : "failure-mode fail-closed: refusing requests with 503 until it is back"));
        }
    }

    /** Whether a request may be admitted without the store: fail-open, and the store worked once or is starting. */
    boolean mayAdmitWithoutStore() {
        return failureMode == FailureMode.FAIL_OPEN && (everReached.get() || withinGrace());
    }

    boolean everReached() {
        return everReached.get();
    }

    boolean reachable() {
        return reachable.get() && everReached.get();
    }

    /**
     * Readiness: down while requests are refused because the store has never answered (fail-closed, or fail-open
     * past the startup grace). A store that worked and is down now does not take the pod out of service: fail-open
     * admits, and fail-closed answers 503 with a reason the app can see.
     */
    HealthCheck healthCheck() {
        return new HealthCheck() {
            @Override
            public HealthCheckType type() {
                return HealthCheckType.READINESS;
            }

            @Override
            public String name() {
                return "budget-store";
            }

            @Override
            public HealthCheckResponse call() {
                boolean refusing = !everReached.get() && !mayAdmitWithoutStore();
                HealthCheckResponse.Builder response = HealthCheckResponse.builder()
                        .status(!refusing)
                        .detail("store", description)
                        .detail("connected", everReached.get())
                        .detail("reachable", reachable());
                if (!everReached.get()) {
                    response.detail("error", "never reachable since start: " + whatWasTried.get());
                }
                return response.build();
            }
        };
    }

    private boolean withinGrace() {
        return clock.millis() - startedAt < startupGrace.toMillis();
    }

    private void neverReached() {
        long now = clock.millis();
        long next = nextError.get();
        if (now < next || !nextError.compareAndSet(next, now + REPEAT_ERROR.toMillis())) {
            return;
        }
        String consequence = failureMode == FailureMode.FAIL_CLOSED
                ? "failure-mode fail-closed: every request is refused with 503 and readiness is down"
                : withinGrace()
                        ? "failure-mode fail-open admits requests for the first " + startupGrace.toSeconds()
                          + " s only; after that they are refused with 503 and readiness goes down, because "
                          + "fail-open covers outages of a store that was working, not one that never was"
                        : "failure-mode fail-open does not cover a store that never worked: requests are refused "
                          + "with 503 and readiness is down";
        LOG.log(Level.ERROR, "Budget store " + description + " has not been reachable since the sidecar started ("
                             + whatWasTried.get() + "). Check budget-store.redis-uri (SIDECAR_REDIS_URI) and "
                             + "budget-store.cluster (SIDECAR_REDIS_CLUSTER: true for a Redis Cluster, false for a "
                             + "single server or redis-sentinel://). Meanwhile " + consequence + ".");
    }
}
