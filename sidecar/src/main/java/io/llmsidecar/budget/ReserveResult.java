package io.llmsidecar.budget;

import java.util.List;

/** The answer of {@link BudgetStore#reserve}: a value, as Bucket4j's {@code ConsumptionProbe}, not an exception. */
sealed interface ReserveResult {
    /** The state of every counter of the request after the call, in the order of the charges. */
    List<CounterState> states();

    /** Every charge was reserved and every rate-limit take taken. */
    record Reserved(List<CounterState> states) implements ReserveResult {
    }

    /** Nothing was reserved because the charge at {@code index} did not fit its counter. */
    record Exceeded(int index, List<CounterState> states) implements ReserveResult {
        CounterState exceeded() {
            return states.get(index);
        }
    }

    /** Nothing was taken or reserved because rate-limit take {@code index} found its bucket short. */
    record RateLimited(int index, long waitNanos, List<CounterState> states) implements ReserveResult {
    }

    /**
     * Nothing was taken or reserved: the call reached the store after its deadline (the caller may have given up on
     * it), or its id was reserved, settled or cancelled before (a copy of a command that already ran). The caller
     * must treat the id as one that may hold budget and end it with a settlement ({@code reserved} false).
     */
    record Late(List<CounterState> states) implements ReserveResult {
    }
}
