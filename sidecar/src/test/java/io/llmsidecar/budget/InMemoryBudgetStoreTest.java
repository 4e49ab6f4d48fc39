package io.llmsidecar.budget;

/** The store contract against the embedded store. */
class InMemoryBudgetStoreTest extends BudgetStoreContract {
    @Override
    BudgetStore newStore() {
        return new InMemoryBudgetStore();
    }

    @Override
    BudgetStore newStore(ExpiredReservations mode) {
        return new InMemoryBudgetStore(mode, n -> { });
    }
}
