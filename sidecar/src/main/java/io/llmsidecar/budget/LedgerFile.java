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
import java.util.List;
import java.util.Map;

/**
 * Where the replay ledger survives a restart ({@code budget-store.ledger-file}): entries in {@link LedgerFormat},
 * each appended and forced to disk before the request goes on, the whole file rewritten compactly at start (a
 * temporary file moved over it) and emptied when everything is replayed. Not thread-safe: {@link ReplayLedger}
 * calls it under its lock.
 */
final class LedgerFile {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());

    private final Path path;
    private FileChannel channel;
    /** Whether the file starts with its version line; checked when the channel opens, kept up to date after. */
    private boolean headed;

    LedgerFile(Path path) {
        this.path = path;
    }

    /**
     * What the file holds; nothing when it does not exist. A file that cannot be read, or that a sidecar with
     * another format wrote, stops the start: its usage is not billed yet, and must not be lost.
     */
    LedgerFormat.Read read(Map<String, Budget> budgets) {
        if (!Files.exists(path)) {
            return new LedgerFormat.Read(List.of(), 0);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the budget ledger file " + path + " (budget-store.ledger-file)"
                                           + "; fix its permissions or point SIDECAR_BUDGET_LEDGER_FILE elsewhere", e);
        }
        try {
            return LedgerFormat.read(bytes, budgets);
        } catch (LedgerFormat.UnknownVersionException e) {
            throw new IllegalStateException(
                    "Cannot read the budget ledger file " + path + " (budget-store.ledger-file): " + e.getMessage()
                    + ". It holds usage not billed yet: run the sidecar version that wrote it until the budget store "
                    + "has taken it (the file is then empty), or move it away and point SIDECAR_BUDGET_LEDGER_FILE "
                    + "elsewhere, accepting that its usage is not billed");
        }
    }

    /** Appends one entry and forces it to disk; a failure is logged, the entry stays in memory. */
    void append(LedgerEntry entry) {
        try {
            open();
            String line = LedgerFormat.line(entry) + "\n";
            // The version line goes with the first entry in one write, so a file never holds a version alone.
            ByteBuffer bytes = ByteBuffer.wrap((headed ? line : LedgerFormat.header() + "\n" + line)
                                                       .getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(false);
            headed = true;
        } catch (IOException e) {
            // Still kept in memory: a restart before the store is back would lose it, which the log says.
            LOG.log(Level.ERROR, "Cannot append to the budget ledger file " + path + " (" + e.getMessage()
                                 + "); usage admitted during the outage is kept in memory only");
        }
    }

    /** Empties the file: everything was replayed. */
    void clear() {
        try {
            open();
            channel.truncate(0);
            channel.force(true);
            headed = false;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Cannot empty the budget ledger file " + path + ": " + e.getMessage());
        }
    }

    /** Replaces the file with {@code entries}: a temporary file, forced, then moved over it. */
    void rewrite(List<LedgerEntry> entries) {
        try {
            close();
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, LedgerFormat.text(entries), StandardCharsets.UTF_8);
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

    void close() {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Closing the budget ledger file failed: " + e.getMessage());
        } finally {
            channel = null;
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }

    private void open() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                       StandardOpenOption.APPEND);
            headed = channel.size() > 0;
        }
    }
}
