package io.llmsidecar.budget;

import java.util.List;

/**
 * One entry of the replay ledger's file, in the order they were written ({@link LedgerFormat} reads and writes
 * them, {@link ReplayLedger} gives them their meaning).
 */
sealed interface LedgerEntry {
    /**
     * A settlement to replay under {@code id}.
     *
     * @param reserved whether {@code id} was reserved in the store (see {@link BudgetStore#settle})
     * @param requests how many admitted requests it accounts for
     */
    record Kept(String id, boolean reserved, long requests, List<Charge> used) implements LedgerEntry {
        public Kept {
            used = List.copyOf(used);
        }
    }

    /** The usage of one request admitted without a reservation that was never sent: summed in memory. */
    record Unsent(long seq, List<Charge> used) implements LedgerEntry {
        public Unsent {
            used = List.copyOf(used);
        }
    }

    /** The {@link Unsent} entries up to {@code seq}, sealed into one settlement to replay under {@code id}. */
    record Sealed(String id, long seq, long requests, List<Charge> used) implements LedgerEntry {
        public Sealed {
            used = List.copyOf(used);
        }
    }

    /** {@code id} was replayed: the store has it. */
    record Done(String id) implements LedgerEntry {
    }
}
