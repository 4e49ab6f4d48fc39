package io.llmsidecar.budget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
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
 * <p>With a file ({@code budget-store.ledger-file}) every entry is appended and forced to disk before the request
 * goes on, so a sidecar restarted during an outage still replays what it admitted. One tab-separated line per entry
 * (keys never contain tabs: {@link Scope} escapes control characters):
 * <pre>
 * K id reserved requests charges...   a settlement to replay under id (reserved: 1 or 0)
 * U seq charges...                    usage of one request that was never sent, summed in memory
 * G id seq requests charges...        the U lines up to seq, sealed into one settlement under id
 * D id                                id was replayed
 * </pre>
 * where each charge is {@code budget windowStartSeconds key tokens nanos}. The file is rewritten compactly at start
 * and emptied whenever the ledger is.
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
    private final Optional<Path> file;
    private FileChannel channel;
    private long openRequests;
    private long seq;

    private ReplayLedger(Supplier<String> ids, Optional<Path> file) {
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
        ReplayLedger ledger = new ReplayLedger(ids, Optional.of(file));
        ledger.load(budgets);
        return ledger;
    }

    /** A settlement that was sent under {@code id} and failed. */
    void keep(String id, List<Charge> used, boolean reserved) {
        lock.lock();
        try {
            Pending p = new Pending(id, used, reserved, 1);
            append(line(p, "K"));
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
            append("U\t" + seq + charges(used));
            for (Charge c : used) {
                long[] sum = open.computeIfAbsent(c.counter().id(), k -> new long[2]);
                sum[0] += c.tokens();
                sum[1] += c.nanos();
                counters.putIfAbsent(c.counter().id(), c.counter());
            }
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
                List<Charge> sums = new ArrayList<>(open.size());
                for (Map.Entry<String, long[]> e : open.entrySet()) {
                    sums.add(new Charge(counters.get(e.getKey()), e.getValue()[0], e.getValue()[1]));
                }
                Pending sealed = new Pending(ids.get(), sums, false, openRequests);
                append("G\t" + sealed.id() + "\t" + seq + "\t" + sealed.requests() + charges(sums));
                queue.put(sealed.id(), sealed);
                open.clear();
                counters.clear();
                openRequests = 0;
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
                truncate();
            } else {
                append("D\t" + p.id());
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
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Closing the budget ledger file failed: " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private void append(String line) {
        if (file.isEmpty()) {
            return;
        }
        try {
            if (channel == null) {
                channel = FileChannel.open(file.get(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                           StandardOpenOption.APPEND);
            }
            ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(false);
        } catch (IOException e) {
            // Still kept in memory: a restart before the store is back would lose it, which the log says.
            LOG.log(Level.ERROR, "Cannot append to the budget ledger file " + file.get() + " (" + e.getMessage()
                                 + "); usage admitted during the outage is kept in memory only");
        }
    }

    private void truncate() {
        if (file.isEmpty()) {
            return;
        }
        try {
            if (channel == null) {
                channel = FileChannel.open(file.get(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                           StandardOpenOption.APPEND);
            }
            channel.truncate(0);
            channel.force(true);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Cannot empty the budget ledger file " + file.get() + ": " + e.getMessage());
        }
    }

    private void load(List<Budget> budgets) {
        Path path = file.orElseThrow();
        if (!Files.exists(path)) {
            return;
        }
        Map<String, Budget> byName = new LinkedHashMap<>();
        budgets.forEach(b -> byName.put(b.name(), b));
        Map<Long, List<Charge>> unsent = new LinkedHashMap<>();
        long sealedUpTo = 0;
        int dropped = 0;
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the budget ledger file " + path + " (budget-store.ledger-file)"
                                           + "; fix its permissions or point SIDECAR_BUDGET_LEDGER_FILE elsewhere", e);
        }
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            try {
                switch (f[0]) {
                    case "K" -> queue.put(f[1], new Pending(f[1], parse(f, 4, byName), f[2].equals("1"),
                                                            Long.parseLong(f[3])));
                    case "U" -> {
                        long s = Long.parseLong(f[1]);
                        unsent.put(s, parse(f, 2, byName));
                        seq = Math.max(seq, s);
                    }
                    case "G" -> {
                        sealedUpTo = Math.max(sealedUpTo, Long.parseLong(f[2]));
                        queue.put(f[1], new Pending(f[1], parse(f, 4, byName), false, Long.parseLong(f[3])));
                    }
                    case "D" -> queue.remove(f[1]);
                    default -> throw new IllegalArgumentException("unknown entry");
                }
            } catch (RuntimeException e) {
                // A line cut short by a crash while it was written: its request had not gone on yet.
                dropped++;
            }
        }
        for (Map.Entry<Long, List<Charge>> u : unsent.entrySet()) {
            if (u.getKey() > sealedUpTo) {
                for (Charge c : u.getValue()) {
                    long[] sum = open.computeIfAbsent(c.counter().id(), k -> new long[2]);
                    sum[0] += c.tokens();
                    sum[1] += c.nanos();
                    counters.putIfAbsent(c.counter().id(), c.counter());
                }
                openRequests++;
            }
        }
        queue.values().removeIf(p -> p.used().isEmpty());
        if (dropped > 0) {
            LOG.log(Level.WARNING, "Ignored " + dropped + " unreadable or no longer configured entries of the budget "
                                   + "ledger file " + path);
        }
        compact(path);
        if (!isEmpty()) {
            LOG.log(Level.INFO, "The budget ledger file " + path + " holds the usage of " + requests()
                                + " requests admitted during a store outage before this start; it is replayed when "
                                + "the store answers");
        }
    }

    /** Rewrites the file with only what is still to replay (a temporary file moved over it, then forced). */
    private void compact(Path path) {
        StringBuilder text = new StringBuilder();
        for (Pending p : queue.values()) {
            text.append(line(p, "K")).append('\n');
        }
        seq = 0;
        if (!open.isEmpty()) {
            List<Charge> sums = new ArrayList<>();
            open.forEach((id, sum) -> sums.add(new Charge(counters.get(id), sum[0], sum[1])));
            // Summed usage of earlier processes stays summed: one U line stands for all its requests.
            Pending sealed = new Pending(ids.get(), sums, false, openRequests);
            text.append(line(sealed, "K")).append('\n');
            queue.put(sealed.id(), sealed);
            open.clear();
            counters.clear();
            openRequests = 0;
        }
        try {
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot rewrite the budget ledger file " + path
                                           + " (budget-store.ledger-file); make its directory writable", e);
        }
    }

    private static String line(Pending p, String kind) {
        return kind + "\t" + p.id() + "\t" + (p.reserved() ? "1" : "0") + "\t" + p.requests() + charges(p.used());
    }

    private static String charges(List<Charge> used) {
        StringBuilder b = new StringBuilder();
        for (Charge c : used) {
            Counter counter = c.counter();
            b.append('\t').append(counter.budget().name()).append('\t').append(counter.windowStart().getEpochSecond())
                    .append('\t').append(counter.key()).append('\t').append(c.tokens()).append('\t')
                    .append(c.nanos());
        }
        return b.toString();
    }

    private static List<Charge> parse(String[] f, int from, Map<String, Budget> budgets) {
        if ((f.length - from) % 5 != 0) {
            throw new IllegalArgumentException("truncated");
        }
        List<Charge> charges = new ArrayList<>();
        for (int i = from; i < f.length; i += 5) {
            Budget b = budgets.get(f[i]);
            if (b == null) {
                continue;
            }
            Counter counter = Counter.of(b, f[i + 2], Instant.ofEpochSecond(Long.parseLong(f[i + 1])));
            charges.add(new Charge(counter, Long.parseLong(f[i + 3]), Long.parseLong(f[i + 4])));
        }
        return charges;
    }
}
