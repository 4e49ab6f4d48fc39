package io.llmsidecar.detect;

/**
 * Payment card numbers: a number written the way cards are written, inside an issuer's range at one of its
 * lengths, with a valid Luhn check digit, that is not part of a larger numeric token; and how sure we are.
 *
 * <p>A <em>number</em> is a maximal run of digit groups joined by single spaces or dashes. A card is either one
 * group of 13 to 19 digits, or consecutive groups in a card layout with one separator throughout:
 * 4-4-4-4 (16), 4-4-4-4-1 to 4-4-4-4-3 (17 to 19), 4-6-5 or 4-4-4-3 (15, Amex) or 4-6-4 (14, Diners), neither
 * preceded nor followed by another group of four digits. So a card followed by its expiry or CVV is still found,
 * while digits inside a longer run, and a window of a long grid of 4-digit groups (tables, hex dumps, random
 * digits), are never a card.
 *
 * <p>Digits that belong to a larger numeric token are never a card: a number glued to a letter, digit, underscore
 * or dot on either side ({@code 4111111111111111L}, {@code 0x4111...}, {@code id_4111...}, the fraction or the
 * exponent of {@code 8.6859247685756013e+00}, {@code 4111...0.5}), one preceded by a sign ({@code -4111...},
 * {@code e+4111...}), a group joined to its neighbour by a dash ({@code 2024-4111...}), and a member of a long list
 * of numbers ({@link NumberList}).
 *
 * <p>A card is {@link Confidence#HIGH} when written in a card layout with separators, when a word such as
 * {@code card}, {@code visa}, {@code cvv} or {@code exp} is near ({@link CardContext}), or when it is alone on its
 * line; otherwise, a bare run of digits that passes the checks, it is {@link Confidence#LOW}.
 *
 * <p>Issuer ranges and lengths (documented in policies/README.md): Visa 4 (13, 16, 19); Mastercard 51-55 and
 * 2221-2720 (16); American Express 34, 37 (15); Discover 6011, 622126-622925, 644-649, 65 (16-19); JCB 3528-3589
 * (16-19); Diners Club 300-305, 309, 36, 38-39 (14-19); UnionPay 62 (16-19); Maestro 5018, 5020, 5038, 5893, 6304,
 * 6759, 6761-6763 (16-19; the 12- to 15-digit Maestro numbers are too like ordinary numbers to flag).
 *
 * <p>One instance reads one text at a time: {@link #begin}, {@link #scan} at each number, {@link #finish}.
 */
final class CardNumbers {
    /** The longest layout (5 groups) plus the group before it, which must not be a group of four. */
    private static final int MAX_GROUPS = 6;
    private static final int[][] LAYOUTS = {{4, 4, 4, 4}, {4, 4, 4, 4, 1}, {4, 4, 4, 4, 2}, {4, 4, 4, 4, 3},
                                            {4, 6, 5}, {4, 4, 4, 3}, {4, 6, 4}};

    /** Group starts and lengths of the number being read; reused, so reading a number allocates nothing. */
    private final int[] groupStart = new int[MAX_GROUPS];
    private final int[] groupLength = new int[MAX_GROUPS];
    private final char[] separator = new char[MAX_GROUPS];
    private final int[] digits = new int[19];
    private final NumberList lists = new NumberList();

    /** Where the last number of this text ended. */
    private int lastEnd;

    /** Starts reading a new text. */
    void begin() {
        lists.reset();
        lastEnd = 0;
    }

    /**
     * Reads the number that starts at {@code start} (a digit not preceded by a digit, after every number
     * {@link #scan} has read in this text) and notes the card candidates in it. Returns the index after the number.
     */
    int scan(String text, int start) {
        if (lastEnd > 0) {
            lists.between(text, lastEnd, start);
        }
        int n = text.length();
        boolean cleanStart = start == 0 || !gluedBefore(text.charAt(start - 1));
        int read = 0;           // groups read so far; group g lives in slot g % MAX_GROUPS
        int lastCardGroup = -1; // the last group a card used: cards never share groups
        char previousSeparator = 0;
        int pos = start;
        while (true) {
            int groupEnd = pos;
            while (groupEnd < n && SecretShapes.isDigit(text.charAt(groupEnd))) {
                groupEnd++;
            }
            char sep = groupEnd + 1 < n && (text.charAt(groupEnd) == ' ' || text.charAt(groupEnd) == '-')
                       && SecretShapes.isDigit(text.charAt(groupEnd + 1)) ? text.charAt(groupEnd) : 0;
            int slot = read % MAX_GROUPS;
            groupStart[slot] = pos;
            groupLength[slot] = groupEnd - pos;
            separator[slot] = sep;
            if (read > 0) {
                lists.groupSeparator(previousSeparator);
            }
            previousSeparator = sep;
            int length = groupEnd - pos;
            lists.digits(length);
            // Only a lone group of 13 to 19 digits, or a group of 1 to 5 two to four groups after a group of four,
            // can end a card: the short numbers source code is full of, and runs of short groups, cost nothing more.
            boolean mayEndLayout = length <= 5 && (fourAt(read - 2) || fourAt(read - 3) || fourAt(read - 4));
            if (length >= 13 && length <= 19 || mayEndLayout) {
                boolean cleanEnd = sep == 0 ? !gluedAfter(text, groupEnd) : sep == ' ';
                int first = cardEndingAt(text, read, read - lastCardGroup, nextGroupIsFour(text, groupEnd, sep),
                                         cleanStart, cleanEnd, sep != 0 || cleanEnd);
                if (first >= 0) {
                    candidate(text, groupStart[first % MAX_GROUPS], groupEnd, first < read);
                    lastCardGroup = read;
                }
            }
            read++;
            if (sep == 0) {
                lastEnd = groupEnd;
                return groupEnd;
            }
            pos = groupEnd + 1;
        }
    }

    /** Ends the text; {@link #high()} and {@link #low()} then count its cards. */
    void finish() {
        lists.finish();
    }

    int high() {
        return lists.high();
    }

    int low() {
        return lists.low();
    }

    private void candidate(String text, int from, int to, boolean grouped) {
        NumberList.Evidence evidence;
        if (!lists.evidenceMatters(grouped)) {
            evidence = NumberList.Evidence.BARE;
        } else if (grouped || CardContext.mentioned(text, from, to)) {
            evidence = NumberList.Evidence.STRONG;
        } else if (CardContext.aloneOnLine(text, from, to)) {
            evidence = NumberList.Evidence.ALONE;
        } else {
            evidence = NumberList.Evidence.BARE;
        }
        lists.candidate(evidence, grouped);
    }

    /**
     * The first group of a card ending with group {@code last}, using at most {@code available} groups, or -1.
     * {@code cleanStart}: the number does not start glued to a larger token; {@code singleEnds}: a lone group may
     * end here (nothing glued after it, or a space); {@code layoutEnds}: a layout may end here (a separator follows,
     * or nothing glued).
     */
    private int cardEndingAt(String text, int last, int available, boolean fourFollows, boolean cleanStart,
                             boolean singleEnds, boolean layoutEnds) {
        int single = groupLength[last % MAX_GROUPS];
        if (single >= 13 && single <= 19) {
            return singleEnds && startsClean(last, cleanStart) && isCard(text, last, 1) ? last : -1;
        }
        if (!layoutEnds || fourFollows) {
            return -1;                          // one followed by a group of four is a window of a longer grid
        }
        for (int[] layout : LAYOUTS) {
            int k = layout.length;
            if (k > available || k > last + 1) {
                continue;
            }
            int first = last - k + 1;
            if (fourAt(first - 1) || !startsClean(first, cleanStart)) {
                continue;                       // a window of a longer grid of 4-digit groups, or glued
            }
            char sep = separator[first % MAX_GROUPS];
            boolean fits = true;
            for (int g = 0; g < k && fits; g++) {
                int slot = (first + g) % MAX_GROUPS;
                fits = groupLength[slot] == layout[g] && (g == k - 1 || separator[slot] == sep);
            }
            if (fits && isCard(text, first, k)) {
                return first;
            }
        }
        return -1;
    }

    /** A card may start at group {@code first}: the number's start is clean, or a space (not a dash) precedes. */
    private boolean startsClean(int first, boolean cleanStart) {
        return first == 0 ? cleanStart : separator[(first - 1) % MAX_GROUPS] == ' ';
    }

    /** Whether the group after the one ending at {@code end} (joined by {@code sep}) has exactly four digits. */
    private static boolean nextGroupIsFour(String text, int end, char sep) {
        if (sep == 0) {
            return false;
        }
        int i = end + 1;
        int n = Math.min(text.length(), i + 5);
        int digits = 0;
        while (i < n && SecretShapes.isDigit(text.charAt(i))) {
            i++;
            digits++;
        }
        return digits == 4;
    }

    private boolean fourAt(int group) {
        return group >= 0 && groupLength[group % MAX_GROUPS] == 4;
    }

    private boolean isCard(String text, int firstGroup, int groups) {
        int length = 0;
        for (int g = firstGroup; g < firstGroup + groups; g++) {
            int slot = g % MAX_GROUPS;
            for (int i = groupStart[slot]; i < groupStart[slot] + groupLength[slot]; i++) {
                digits[length++] = text.charAt(i) - '0';
            }
        }
        return issued(digits, length) && luhn(digits, length);
    }

    /** Whether some scheme issues numbers of this length with this prefix. */
    static boolean issued(int[] d, int length) {
        int p1 = d[0];
        int p2 = p1 * 10 + d[1];
        int p3 = p2 * 10 + d[2];
        int p4 = p3 * 10 + d[3];
        int p6 = p4 * 100 + d[4] * 10 + d[5];
        boolean long16to19 = length >= 16 && length <= 19;
        if (p1 == 4) {
            return length == 13 || length == 16 || length == 19;                       // Visa
        }
        if (p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720) {
            return length == 16;                                                       // Mastercard
        }
        if (p2 == 34 || p2 == 37) {
            return length == 15;                                                       // American Express
        }
        if (p4 == 6011 || p3 >= 644 && p3 <= 649 || p2 == 65 || p6 >= 622126 && p6 <= 622925) {
            return long16to19;                                                         // Discover
        }
        if (p4 >= 3528 && p4 <= 3589) {
            return long16to19;                                                         // JCB
        }
        if (p3 >= 300 && p3 <= 305 || p3 == 309 || p2 == 36 || p2 == 38 || p2 == 39) {
            return length >= 14 && length <= 19;                                       // Diners Club
        }
        if (p2 == 62) {
            return long16to19;                                                         // UnionPay
        }
        if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304 || p4 == 6759
            || p4 >= 6761 && p4 <= 6763) {
            return long16to19;                                                         // Maestro
        }
        return false;
    }

    /** The Luhn checksum: from the right, every second digit doubled (less 9 when it passes 9); sum % 10 == 0. */
    static boolean luhn(int[] d, int length) {
        int sum = 0;
        for (int i = 0; i < length; i++) {
            int v = d[length - 1 - i];
            if (i % 2 == 1) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
        }
        return sum % 10 == 0;
    }

    /** A number after a letter, underscore, dot or sign is part of a larger token. */
    private static boolean gluedBefore(char c) {
        return SecretShapes.isWord(c) || c == '.' || c == '-' || c == '+';
    }

    /** A number before a letter, underscore, or a dot that goes on with a letter or digit. */
    private static boolean gluedAfter(String text, int end) {
        if (end >= text.length()) {
            return false;
        }
        char c = text.charAt(end);
        return SecretShapes.isWord(c)
               || c == '.' && end + 1 < text.length() && SecretShapes.isWord(text.charAt(end + 1));
    }
}
