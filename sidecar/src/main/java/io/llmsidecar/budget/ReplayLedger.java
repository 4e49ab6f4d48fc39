package io.llmsidecar.budget;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The fail-open replay ledger: usage the store has not taken yet because it was unreachable, kept until it can be
 * replayed, so nothing admitted is left unbilled and nothing is billed twice. A settlement that was sent and failed
 * may still have run (a timeout), so it is kept under its own id, which makes the store ignore a second copy; so is
 * the settlement (zero usage included) of a request whose reservation may have run unseen, which the replay then
 * releases. Usage of requests whose reserve was never sent is summed per counter, so a long outage with the
 * connection down costs memory per counter, not per request.
 *
 * <p>With a file ({@code budget-store.ledger-file}, see {@link LedgerFile} and {@link LedgerFormat}) every entry is
 * also written there before the request goes on, so a sidecar restarted during an outage still replays what it
 * admitted. The file is rewritten compactly at start and emptied whenever the ledger is.
 */
final class ReplayLedger {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());

    /**
     * One settlement to replay, under the id that makes replaying it idempotent.
     *
     * @param requests how many admitted requests it accounts for
     */
    record Pending(String id, List<Charge> used, boolean reserved, long requests) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Pending> queue = new LinkedHashMap<>();
    private final Map<String, long[]> open = new LinkedHashMap<>();
    private final Map<String, Counter> counters = new LinkedHashMap<>();
    private final Supplier<String> ids;
    private final Optional<LedgerFile> file;
    private long openRequests;
    private long seq;

    private ReplayLedger(Supplier<String> ids, Optional<LedgerFile> file) {
        this.ids = ids;
        this.file = file;
    }

    /** A ledger in memory only. */
    static ReplayLedger inMemory(Supplier<String> ids) {
        return new ReplayLedger(ids, Optional.empty());
    }

    /**
     * A ledger kept in {@code file}, loaded with what a previous process left there; entries for budgets that are no
     * longer configured are dropped with a warning.
     */
    static ReplayLedger open(Supplier<String> ids, Path file, List<Budget> budgets) {
        ReplayLedger ledger = new ReplayLedger(ids, Optional.of(new LedgerFile(file)));
        ledger.load(budgets);
        return ledger;
    }

    /** A settlement that was sent under {@code id} and failed. */
    void keep(String id, List<Charge> used, boolean reserved) {
        lock.lock();
        try {
            Pending p = new Pending(id, used, reserved, 1);
            write(new LedgerEntry.Kept(id, reserved, 1, used));
            queue.put(id, p);
        } finally {
            lock.unlock();
        }
    }

    /** Usage of a request admitted without a reservation that was never sent to the store. */
    void sum(List<Charge> used) {
        lock.lock();
        try {
            seq++;
            write(new LedgerEntry.Unsent(seq, used));
            add(used);
            openRequests++;
        } finally {
            lock.unlock();
        }
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return queue.isEmpty() && open.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** How many admitted requests the ledger accounts for. */
    long requests() {
        lock.lock();
        try {
            return openRequests + queue.values().stream().mapToLong(Pending::requests).sum();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The settlements to replay, oldest first; summed usage is sealed under a fresh id first, so it is replayed (and
     * retried) under the same id until the store confirms it.
     */
    List<Pending> pending() {
        lock.lock();
        try {
            if (!open.isEmpty()) {
                Pending sealed = seal();
                write(new LedgerEntry.Sealed(sealed.id(), seq, sealed.requests(), sealed.used()));
            }
            return new ArrayList<>(queue.values());
        } finally {
            lock.unlock();
        }
    }

    void done(Pending p) {
        lock.lock();
        try {
            queue.remove(p.id());
            if (queue.isEmpty() && open.isEmpty()) {
                file.ifPresent(LedgerFile::clear);
            } else {
                write(new LedgerEntry.Done(p.id()));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Where the ledger is kept, for logs. */
    String where() {
        return file.map(f -> "the ledger file " + f).orElse("memory");
    }

    void close() {
        lock.lock();
        try {
            file.ifPresent(LedgerFile::close);
        } finally {
            lock.unlock();
        }
    }

    private void write(LedgerEntry entry) {
        file.ifPresent(f -> f.append(entry));
    }

    private void add(List<Charge> used) {
        for (Charge c : used) {
            long[] sum = open.computeIfAbsent(c.counter().id(), k -> new long[2]);
            sum[0] += c.tokens();
            sum[1] += c.nanos();
            counters.putIfAbsent(c.counter().id(), c.counter());
        }
    }

    /** The summed usage as one settlement under a fresh id, queued; nothing is summed after. */
    private Pending seal() {
        List<Charge> sums = new ArrayList<>(open.size());
        open.forEach((id, sum) -> sums.add(new Charge(counters.get(id), sum[0], sum[1])));
        Pending sealed = new Pending(ids.get(), sums, false, openRequests);
        queue.put(sealed.id(), sealed);
        open.clear();
        counters.clear();
        openRequests = 0;
        return sealed;
    }

    private void load(List<Budget> budgets) {
        LedgerFile ledgerFile = file.orElseThrow();
        Map<String, Budget> byName = new LinkedHashMap<>();
        budgets.forEach(b -> byName.put(b.name(), b));
        LedgerFormat.Read read = ledgerFile.read(byName);
        if (read.entries().isEmpty() && read.unreadable() == 0) {
            return;
        }
        Map<Long, List<Charge>> unsent = new LinkedHashMap<>();
        long sealedUpTo = 0;
        for (LedgerEntry entry : read.entries()) {
            switch (entry) {
                case LedgerEntry.Kept k -> queue.put(k.id(), new Pending(k.id(), k.used(), k.reserved(),
                                                                         k.requests()));
                case LedgerEntry.Unsent u -> unsent.put(u.seq(), u.used());
                case LedgerEntry.Sealed g -> {
                    sealedUpTo = Math.max(sealedUpTo, g.seq());
                    queue.put(g.id(), new Pending(g.id(), g.used(), false, g.requests()));
                }
                case LedgerEntry.Done d -> queue.remove(d.id());
            }
        }
        for (Map.Entry<Long, List<Charge>> u : unsent.entrySet()) {
            if (u.getKey() > sealedUpTo) {
                add(u.getValue());
                openRequests++;
            }
        }
        queue.values().removeIf(p -> p.used().isEmpty());
        if (read.unreadable() > 0) {
            LOG.log(Level.WARNING, "Ignored " + read.unreadable() + " unreadable or no longer configured entries of "
                                   + "the budget ledger file " + ledgerFile);
        }
        compact(ledgerFile);
        if (!isEmpty()) {
            LOG.log(Level.INFO, "The budget ledger file " + ledgerFile + " holds the usage of " + requests()
                                + " requests admitted during a store outage before this start; it is replayed when "
                                + "the store answers");
        }
    }

    /** Rewrites the file with only what is still to replay. */
    private void compact(LedgerFile ledgerFile) {
        seq = 0;
        if (!open.isEmpty()) {
            // Summed usage of earlier processes stays summed: one entry stands for all its requests.
            seal();
        }
        List<LedgerEntry> entries = new ArrayList<>(queue.size());
        for (Pending p : queue.values()) {
            entries.add(new LedgerEntry.Kept(p.id(), p.reserved(), p.requests(), p.used()));
        }
        ledgerFile.rewrite(entries);
    }
}
