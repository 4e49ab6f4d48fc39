package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.Usage;
import io.llmsidecar.pricing.Estimate;

import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Budget held for one request between admission and its response. {@link #settle} replaces it with what the request
 * used; {@link #close} releases it if the request never got that far (like Helidon's concurrency-limit token:
 * reserve, proceed, then settle, or release in the end).
 */
public final class Reservation implements AutoCloseable {
    private final BudgetService service;
    final String id;
    final Subject subject;
    final String model;
    final Estimate estimate;
    /** What is held per counter; empty when no budget applies. */
    final List<Charge> held;
    /** False when the store was unreachable and the request was admitted fail-open. */
    final boolean inStore;
    /**
     * Not in the store as far as we know, yet a reservation under {@link #id} may be there: its call timed out (it
     * may have run unanswered, or may still run when a hung Redis resumes) or came back late. Its settlement must
     * then carry the id, which releases such a reservation and makes a later one a no-op.
     */
    final boolean mayBeHeld;
    private final OptionalLong completionLimit;
    private final AtomicBoolean settled = new AtomicBoolean();
    volatile long renewedAt;

    Reservation(BudgetService service, String id, Subject subject, String model, Estimate estimate,
                List<Charge> held, boolean inStore, boolean mayBeHeld, OptionalLong completionLimit, long now) {
        this.service = service;
        this.id = id;
        this.subject = subject;
        this.model = model;
        this.estimate = estimate;
        this.held = held;
        this.inStore = inStore;
        this.mayBeHeld = mayBeHeld;
        this.completionLimit = completionLimit;
        this.renewedAt = now;
    }

    /**
     * The most completion tokens (all choices together) the reservation covers, which the forwarded request must not
     * exceed; empty when no budget applies.
     */
    public OptionalLong completionLimit() {
        return completionLimit;
    }

    /** Bills {@code usage} instead of what was reserved. Never throws: a store outage keeps the usage for replay. */
    public void settle(Usage usage) {
        if (settled.compareAndSet(false, true)) {
            service.settle(this, usage);
        }
    }

    /** Releases the reservation if it was not settled: the request produced nothing billable. */
    @Override
    public void close() {
        settle(Usage.NONE);
    }

    /** For reservations cut off at shutdown: bills what is held ({@code charge}) or nothing, unless settled. */
    void settleAsHeld(boolean charge) {
        if (settled.compareAndSet(false, true)) {
            service.settleHeld(this, charge);
        }
    }
}
