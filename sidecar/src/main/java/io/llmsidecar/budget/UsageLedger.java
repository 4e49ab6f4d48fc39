package io.llmsidecar.budget;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Usage the store has not taken yet because it was unreachable, kept until it can be replayed: nothing admitted is
 * ever left unbilled, and nothing is billed twice. A settlement that was sent and failed may still have run (a
 * timeout), so it is kept under its own id, which makes the store ignore a second copy. Usage that was never sent is
 * summed per counter, so a long outage costs memory per counter, not per request.
 */
final class UsageLedger {
    /**
     * One settlement to replay, under the id that makes replaying it idempotent.
     *
     * @param requests how many admitted requests it accounts for
     */
    record Pending(String id, List<Charge> used, boolean reserved, long requests) {
    }

    private final Deque<Pending> queue = new ArrayDeque<>();
    private final Map<String, long[]> open = new LinkedHashMap<>();
    private final Map<String, Counter> counters = new LinkedHashMap<>();
    private final Supplier<String> ids;
    private long openRequests;

    UsageLedger(Supplier<String> ids) {
        this.ids = ids;
    }

    /** A settlement that was sent under {@code id} and failed. */
    synchronized void keep(String id, List<Charge> used, boolean reserved) {
        queue.add(new Pending(id, used, reserved, 1));
    }

    /** Usage of a request admitted without a reservation that was never sent to the store. */
    synchronized void sum(List<Charge> used) {
        for (Charge c : used) {
            long[] sum = open.computeIfAbsent(c.counter().id(), k -> new long[2]);
            sum[0] += c.tokens();
            sum[1] += c.nanos();
            counters.putIfAbsent(c.counter().id(), c.counter());
        }
        openRequests++;
    }

    synchronized boolean isEmpty() {
        return queue.isEmpty() && open.isEmpty();
    }

    /**
     * The settlements to replay, oldest first; summed usage is sealed under fresh ids first, so it is replayed (and
     * retried) under the same id until the store confirms it.
     */
    synchronized List<Pending> pending() {
        for (Map.Entry<String, long[]> e : open.entrySet()) {
            long[] sum = e.getValue();
            queue.add(new Pending(ids.get(), List.of(new Charge(counters.get(e.getKey()), sum[0], sum[1])), false,
                                  openRequests));
            openRequests = 0;
        }
        open.clear();
        counters.clear();
        return new ArrayList<>(queue);
    }

    synchronized void done(Pending p) {
        queue.remove(p);
    }
}
