package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.ChatRequest;
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
    private final ChatRequest request;
    private final OptionalLong completionLimit;
    private final AtomicBoolean settled = new AtomicBoolean();
    volatile long renewedAt;

    Reservation(BudgetService service, String id, Subject subject, Estimate estimate, List<Charge> held,
                boolean inStore, ChatRequest request, OptionalLong completionLimit, long now) {
        this.service = service;
        this.id = id;
        this.subject = subject;
        this.model = request.model();
        this.estimate = estimate;
        this.held = held;
        this.inStore = inStore;
        this.request = request;
        this.completionLimit = completionLimit;
        this.renewedAt = now;
    }

    /** A reservation of a request the caller forwards itself (any API); {@link #request()} is {@code null}. */
    Reservation(BudgetService service, String id, Subject subject, String model, Estimate estimate, List<Charge> held,
                boolean inStore, OptionalLong completionLimit, long now) {
        this.service = service;
        this.id = id;
        this.subject = subject;
        this.model = model;
        this.estimate = estimate;
        this.held = held;
        this.inStore = inStore;
        this.request = null;
        this.completionLimit = completionLimit;
        this.renewedAt = now;
    }

    /**
     * The request to forward: when budgets apply and the caller set no completion limit, it carries the limit the
     * reservation covers, so the gateway cannot produce more than was reserved.
     */
    public ChatRequest request() {
        return request;
    }

    /** The most completion tokens (all choices together) the reservation covers; empty when no budget applies. */
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
}
