package io.llmsidecar.budget;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replay ledger's file format: what is written reads back, and what a crash or a newer sidecar leaves behind. */
class LedgerFormatTest {
    private static final Budget DAILY = new Budget("team-daily", List.of(Scope.TEAM), Window.DAY,
                                                   OptionalLong.of(1000), OptionalLong.of(1_000_000));
    private static final Budget MONTHLY = new Budget("user-monthly", List.of(Scope.USER), Window.MONTH,
                                                     OptionalLong.empty(), OptionalLong.of(100_000_000));
    private static final Map<String, Budget> BUDGETS = Map.of(DAILY.name(), DAILY, MONTHLY.name(), MONTHLY);
    private static final Instant NOW = Instant.parse("2026-03-10T22:30:00Z");
    /** Keys as Scope writes them: escaped separators, and any other text as is. */
    private static final List<Charge> USED = List.of(
            new Charge(Counter.of(DAILY, "team=pay%2Cments", NOW), 110, 120),
            new Charge(Counter.of(MONTHLY, "user=zoë:東京", NOW), 110, 120));

    @Test
    void everyEntryReadsBackAsItWasWritten() {
        List<LedgerEntry> entries = List.of(
                new LedgerEntry.Kept("7f48", true, 1, USED),
                new LedgerEntry.Kept("aaef", false, 3, List.of()),
                new LedgerEntry.Unsent(1, USED),
                new LedgerEntry.Sealed("9e16", 1, 2, USED),
                new LedgerEntry.Done("7f48"));

        LedgerFormat.Read read = LedgerFormat.read(bytes(LedgerFormat.text(entries)), BUDGETS);

        assertEquals(new LedgerFormat.Read(entries, 0), read);
    }

    @Test
    void writesTheVersionFirstAndNothingForNoEntries() {
        String text = LedgerFormat.text(List.of(new LedgerEntry.Done("a")));

        assertEquals("V\t1\nD\ta\n", text);
        assertEquals("", LedgerFormat.text(List.of()));
        assertEquals("K\tid\t0\t2\tteam-daily\t1773100800\tteam=pay%2Cments\t110\t120",
                     LedgerFormat.line(new LedgerEntry.Kept("id", false, 2, USED.subList(0, 1))));
    }

    @Test
    void skipsALastLineCutShortEvenWhenWhatIsLeftParses() {
        String whole = LedgerFormat.text(List.of(new LedgerEntry.Unsent(1, USED.subList(0, 1))));
        String cutInAField = whole + "U\t2\tteam-daily\t1773100800\tteam=pay";
        String cutInANumber = whole + "U\t2\tteam-daily\t1773100800\tteam=pay%2Cments\t110\t12";

        for (String text : List.of(cutInAField, cutInANumber)) {
            LedgerFormat.Read read = LedgerFormat.read(bytes(text), BUDGETS);
            assertEquals(List.of(new LedgerEntry.Unsent(1, USED.subList(0, 1))), read.entries(), text);
            assertEquals(1, read.unreadable(), text);
        }
    }

    @Test
    void skipsALastLineCutInsideACharacter() {
        LedgerEntry entry = new LedgerEntry.Unsent(1, USED);
        byte[] whole = bytes(LedgerFormat.text(List.of(entry)));
        byte[] line = bytes(LedgerFormat.line(entry));
        // "東" is three bytes in UTF-8: the second copy of the line is cut after the first of them.
        int cut = indexOf(line, bytes("東")) + 1;
        byte[] torn = Arrays.copyOf(whole, whole.length + cut);
        System.arraycopy(line, 0, torn, whole.length, cut);

        LedgerFormat.Read read = LedgerFormat.read(torn, BUDGETS);

        assertEquals(List.of(entry), read.entries());
        assertEquals(1, read.unreadable());
    }

    @Test
    void skipsCorruptLinesAndKeepsTheRest() {
        String good = LedgerFormat.line(new LedgerEntry.Kept("k1", true, 1, USED.subList(0, 1)));
        String charge = "\tteam-daily\t1773100800\tteam=a\t";
        List<String> corrupt = List.of(
                "",
                "X\tsomething",
                "K\tk2\t1",                                  // no request count
                "K\tk2\tyes\t1" + charge + "1\t1",             // not a flag
                "K\tk2\t1\t1" + charge + "-5\t0",              // a negative charge would refund
                "K\tk2\t1\t1" + charge + "+5\t0",
                "K\t\t1\t1" + charge + "5\t0",                 // no id
                "U\tx" + charge + "5\t0",
                "U\t3" + charge + "5",                         // a charge short of a field
                "G\tg\t1" + charge + "5\t0",                   // no request count
                "D",
                "D\ta\tb",
                "U\t3\tteam-daily\tnot-a-time\tteam=a\t5\t0",
                "V\tone");
        StringBuilder text = new StringBuilder("V\t1\n");
        for (String line : corrupt) {
            text.append(line).append('\n').append(good).append('\n');
        }
        byte[] file = bytes(text.toString());
        byte[] withBadUtf8 = Arrays.copyOf(file, file.length + 4);
        System.arraycopy(new byte[] {'D', '\t', (byte) 0xC3, '\n'}, 0, withBadUtf8, file.length, 4);

        LedgerFormat.Read read = LedgerFormat.read(withBadUtf8, BUDGETS);

        assertEquals(corrupt.size(), read.entries().size());
        assertTrue(read.entries().stream().allMatch(e -> e.equals(
                new LedgerEntry.Kept("k1", true, 1, USED.subList(0, 1)))), read.entries().toString());
        assertEquals(corrupt.size() + 1, read.unreadable());
    }

    @Test
    void leavesOutChargesOfBudgetsNoLongerConfigured() {
        String text = LedgerFormat.text(List.of(new LedgerEntry.Sealed("g", 2, 2, USED)));

        LedgerFormat.Read read = LedgerFormat.read(bytes(text), Map.of(DAILY.name(), DAILY));

        assertEquals(new LedgerFormat.Read(List.of(new LedgerEntry.Sealed("g", 2, 2, USED.subList(0, 1))), 0), read);
    }

    @Test
    void refusesAVersionItDoesNotKnow() {
        String text = "V\t2\n" + LedgerFormat.line(new LedgerEntry.Unsent(1, USED)) + "\n";

        LedgerFormat.UnknownVersionException e = assertThrows(LedgerFormat.UnknownVersionException.class,
                                                              () -> LedgerFormat.read(bytes(text), BUDGETS));

        assertEquals("its lines are in format version 2, and this sidecar reads version 1 only", e.getMessage());
    }

    /** A ledger written by the sidecar before the version line existed (ledger-unversioned, see ReplayLedgerTest). */
    @Test
    void readsAFileWrittenBeforeTheVersionLineExisted() throws IOException {
        LedgerFormat.Read read = LedgerFormat.read(fixture("ledger-unversioned"), BUDGETS);

        assertEquals(0, read.unreadable());
        assertEquals(List.of("U", "U", "K", "K", "K", "G", "U", "G", "D", "D", "U"),
                     read.entries().stream().map(e -> LedgerFormat.line(e).substring(0, 1)).toList());
        assertEquals(new LedgerEntry.Kept("d205e2449c8e71d7a8fe74d650e50fff", false, 1, List.of(
                new Charge(Counter.of(DAILY, "team=pay%2Cments", NOW), 0, 0),
                new Charge(Counter.of(MONTHLY, "user=al%3Dice", NOW), 0, 0))), read.entries().get(4));
        assertEquals(new String(fixture("ledger-unversioned"), StandardCharsets.UTF_8),
                     String.join("\n", read.entries().stream().map(LedgerFormat::line).toList()) + "\n",
                     "every line is written back exactly as the previous version wrote it");
    }

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = LedgerFormatTest.class.getResourceAsStream("/budget/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i <= in.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
