package io.llmsidecar.budget;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The replay ledger's file format: UTF-8, one tab-separated line per {@link LedgerEntry}, each ended by a newline
 * (keys never contain tabs or newlines: {@link Scope} escapes control characters):
 * <pre>
 * V version                           the format of the lines that follow; a file without it is version 1
 * K id reserved requests charges...   {@link LedgerEntry.Kept} (reserved: 1 or 0)
 * U seq charges...                    {@link LedgerEntry.Unsent}
 * G id seq requests charges...        {@link LedgerEntry.Sealed}
 * D id                                {@link LedgerEntry.Done}
 * </pre>
 * where each charge is {@code budget windowStartSeconds key tokens nanos}.
 *
 * <p>Reading is forgiving per line and strict per file. A line that does not parse is skipped and counted: the last
 * one may have been cut short by a crash while it was written (its request had not been settled yet), so a last
 * line without its newline is skipped too, even when what is left of it parses (a number cut short would bill
 * less). A version this sidecar does not know stops the read instead: skipping its lines would lose usage, and
 * rewriting the file would destroy it.
 */
final class LedgerFormat {
    /** The version this sidecar writes and reads (files from before the version line are the same format). */
    static final int VERSION = 1;
    private static final String HEADER = "V\t" + VERSION;
    private static final int CHARGE_FIELDS = 5;

    /**
     * What a file holds.
     *
     * @param unreadable lines skipped: cut short, corrupt, or of an unknown kind
     */
    record Read(List<LedgerEntry> entries, int unreadable) {
        Read {
            entries = List.copyOf(entries);
        }
    }

    /** A file written by a sidecar whose format this one does not know (a newer one, before a rollback). */
    static final class UnknownVersionException extends RuntimeException {
        UnknownVersionException(String version) {
            super("its lines are in format version " + version + ", and this sidecar reads version " + VERSION
                  + " only", null, false, false);
        }
    }

    private LedgerFormat() {
    }

    /** The first line of a file (without its newline). */
    static String header() {
        return HEADER;
    }

    /** One entry's line, without its newline. */
    static String line(LedgerEntry entry) {
        return switch (entry) {
            case LedgerEntry.Kept k -> "K\t" + k.id() + "\t" + (k.reserved() ? "1" : "0") + "\t" + k.requests()
                                       + charges(k.used());
            case LedgerEntry.Unsent u -> "U\t" + u.seq() + charges(u.used());
            case LedgerEntry.Sealed g -> "G\t" + g.id() + "\t" + g.seq() + "\t" + g.requests() + charges(g.used());
            case LedgerEntry.Done d -> "D\t" + d.id();
        };
    }

    /** A whole file: its header and one line per entry; empty when there are no entries. */
    static String text(List<LedgerEntry> entries) {
        if (entries.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (LedgerEntry e : entries) {
            text.append(line(e)).append('\n');
        }
        return text.toString();
    }

    /**
     * Reads a file's bytes. Charges of budgets not in {@code budgets} (no longer configured) are left out of their
     * entries.
     *
     * @throws UnknownVersionException when a version line names a version other than {@link #VERSION}
     */
    static Read read(byte[] file, Map<String, Budget> budgets) {
        List<LedgerEntry> entries = new ArrayList<>();
        int unreadable = 0;
        int start = 0;
        for (int i = 0; i < file.length; i++) {
            if (file[i] != '\n') {
                continue;
            }
            String line = decode(file, start, i);
            start = i + 1;
            if (line != null && (line.equals("V") || line.startsWith("V\t"))) {
                if (!knownVersion(line)) {
                    unreadable++;
                }
                continue;
            }
            LedgerEntry entry = line == null ? null : parse(line, budgets);
            if (entry == null) {
                unreadable++;
            } else {
                entries.add(entry);
            }
        }
        if (start < file.length) {
            unreadable++;   // the last line has no newline: cut short while it was written
        }
        return new Read(entries, unreadable);
    }

    /** Whether a version line names {@link #VERSION}; false when it is corrupt. */
    private static boolean knownVersion(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 2 || !f[1].matches("[0-9]{1,9}")) {
            return false;
        }
        if (Integer.parseInt(f[1]) != VERSION) {
            throw new UnknownVersionException(f[1]);
        }
        return true;
    }

    /** A line's text, or null when it is not UTF-8 (a corrupt line). */
    private static String decode(byte[] file, int from, int to) {
        try {
            return utf8().decode(ByteBuffer.wrap(file, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** One entry's line, or null when it does not parse. */
    private static LedgerEntry parse(String line, Map<String, Budget> budgets) {
        String[] f = line.split("\t", -1);
        try {
            return switch (f[0]) {
                case "K" -> new LedgerEntry.Kept(id(f[1]), flag(f[2]), count(f[3]), charges(f, 4, budgets));
                case "U" -> new LedgerEntry.Unsent(count(f[1]), charges(f, 2, budgets));
                case "G" -> new LedgerEntry.Sealed(id(f[1]), count(f[2]), count(f[3]), charges(f, 4, budgets));
                case "D" -> f.length == 2 ? new LedgerEntry.Done(id(f[1])) : null;
                default -> null;
            };
        } catch (RuntimeException e) {
            // Missing fields, numbers that are not counts, a window start out of range.
            return null;
        }
    }

    private static CharsetDecoder utf8() {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    private static String id(String id) {
        if (id.isEmpty()) {
            throw new IllegalArgumentException("no id");
        }
        return id;
    }

    private static boolean flag(String flag) {
        return switch (flag) {
            case "1" -> true;
            case "0" -> false;
            default -> throw new IllegalArgumentException("not a flag: " + flag);
        };
    }

    /** A number written by {@link #line}: never negative (a negative charge would refund a budget). */
    private static long count(String text) {
        long n = Long.parseLong(text);
        if (n < 0 || text.startsWith("+")) {
            throw new NumberFormatException("not a count: " + text);
        }
        return n;
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

    private static List<Charge> charges(String[] f, int from, Map<String, Budget> budgets) {
        if (f.length < from || (f.length - from) % CHARGE_FIELDS != 0) {
            throw new IllegalArgumentException("cut short");
        }
        List<Charge> charges = new ArrayList<>();
        for (int i = from; i < f.length; i += CHARGE_FIELDS) {
            long windowStart = Long.parseLong(f[i + 1]);
            long tokens = count(f[i + 3]);
            long nanos = count(f[i + 4]);
            Budget b = budgets.get(f[i]);
            if (b == null) {
                continue;
            }
            charges.add(new Charge(Counter.of(b, f[i + 2], Instant.ofEpochSecond(windowStart)), tokens, nanos));
        }
        return charges;
    }
}
