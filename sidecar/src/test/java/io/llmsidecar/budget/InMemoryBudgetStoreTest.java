package io.llmsidecar.budget;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The store contract against the embedded store, and what it keeps in memory. */
class InMemoryBudgetStoreTest extends BudgetStoreContract {
    @Override
    BudgetStore newStore() {
        return new InMemoryBudgetStore();
    }

    @Override
    BudgetStore newStore(ExpiredReservations mode) {
        return new InMemoryBudgetStore(mode, n -> { });
    }

    @Test
    void aSettledReservationLeavesNothingBehindToExpire() {
        InMemoryBudgetStore memory = (InMemoryBudgetStore) store;
        for (int i = 0; i < 10_000; i++) {
            memory.reserve("r" + i, List.of(charge(payments, 0, 0)), now + 600_000, now);
            if (i % 3 == 0) {
                memory.renew(List.of("r" + i), now + 900_000);      // a stream renews its reservation
            }
            memory.settle("r" + i, List.of(charge(payments, 0, 0)), true, now);
        }
        memory.reserve("held", List.of(charge(payments, 10, 0)), now + 600_000, now);
        memory.renew(List.of("held"), now + 900_000);

        assertEquals(1, memory.heldExpiries(), "one expiry per reservation still held");
    }

    @Test
    void aRenewedReservationExpiresAtItsNewTimeOnly() {
        InMemoryBudgetStore memory = (InMemoryBudgetStore) store;
        memory.reserve("stream", List.of(charge(payments, 900, 0)), now + 100, now);
        memory.renew(List.of("stream"), now + 10_000);

        assertInstanceOf(ReserveResult.Exceeded.class,
                         memory.reserve("r2", List.of(charge(payments, 900, 0)), now + 20_000, now + 5_000));
        assertEquals(1, memory.heldExpiries(), "the renewed reservation's expiry, not its first one too");
        assertInstanceOf(ReserveResult.Reserved.class,
                         memory.reserve("r3", List.of(charge(payments, 0, 0)), now + 30_000, now + 10_001));
        assertEquals(1, memory.heldExpiries(), "r3's: the stream's expired at its new time and left nothing");
    }
}
