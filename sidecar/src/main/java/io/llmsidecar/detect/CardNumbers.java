package io.llmsidecar.detect;

/**
 * Payment card numbers: a number written the way cards are written, inside an issuer's range at one of its
 * lengths, with a valid Luhn check digit. All three together keep out what ordinary text is full of: numeric
 * constants, IDs, timestamps and phone numbers.
 *
 * <p>A <em>number</em> is a maximal run of digit groups joined by single spaces or dashes. A card is either one
 * group of 13 to 19 digits, or consecutive groups in a card layout with one separator throughout:
 * 4-4-4-4 (16), 4-4-4-4-1 to 4-4-4-4-3 (17 to 19), 4-6-5 (15, Amex) or 4-6-4 (14, Diners), neither preceded nor
 * followed by another group of four digits. So a card followed by its expiry or CVV is still found, while digits
 * inside a longer run, and a window of a long grid of 4-digit groups (tables, hex dumps, random digits), are never
 * a card. A number that touches a
 * letter or underscore ({@code 4111111111111111L}, {@code id_4111...}) or is part of a decimal ({@code 0.4111...},
 * {@code 4111...,5}) is not a card.
 *
 * <p>Issuer ranges and lengths (documented in policies/README.md): Visa 4 (13, 16, 19); Mastercard 51-55 and
 * 2221-2720 (16); American Express 34, 37 (15); Discover 6011, 622126-622925, 644-649, 65 (16-19); JCB 3528-3589
 * (16-19); Diners Club 300-305, 309, 36, 38-39 (14-19); UnionPay 62 (16-19); Maestro 5018, 5020, 5038, 5893, 6304,
 * 6759, 6761-6763 (16-19; the 12- to 15-digit Maestro numbers are too like ordinary numbers to flag).
 */
final class CardNumbers {
    /** The longest layout (5 groups) plus the group before it, which must not be a group of four. */
    private static final int MAX_GROUPS = 6;
    private static final int[][] LAYOUTS = {{4, 4, 4, 4}, {4, 4, 4, 4, 1}, {4, 4, 4, 4, 2}, {4, 4, 4, 4, 3},
                                            {4, 6, 5}, {4, 6, 4}};

    /** Group starts and lengths of the number being read; reused, so reading a number allocates nothing. */
    private final int[] groupStart = new int[MAX_GROUPS];
    private final int[] groupLength = new int[MAX_GROUPS];
    private final char[] separator = new char[MAX_GROUPS];
    private final int[] digits = new int[19];

    /** How many cards the last {@link #scan} found. */
    private int cards;

    /**
     * Reads the number that starts at {@code start} (a digit not preceded by a digit) and counts the cards in it.
     * Returns the index after the number; {@link #cards()} tells how many cards it held.
     */
    int scan(String text, int start) {
        cards = 0;
        int n = text.length();
        boolean clean = start == 0 || !(SecretShapes.isWord(text.charAt(start - 1)) || decimalBefore(text, start));
        int read = 0;           // groups read so far; group g lives in slot g % MAX_GROUPS
        int lastCardGroup = -1; // the last group a card used: cards never share groups
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
            if (clean && (sep != 0 || !touchesWordOrDecimal(text, groupEnd))
                && isCardEndingAt(text, read, read - lastCardGroup, nextGroupIsFour(text, groupEnd, sep))) {
                cards++;
                lastCardGroup = read;
            }
            read++;
            if (sep == 0) {
                if (!clean || touchesWordOrDecimal(text, groupEnd)) {
                    cards = 0;
                }
                return groupEnd;
            }
            pos = groupEnd + 1;
        }
    }

    int cards() {
        return cards;
    }

    /** Whether groups ending with group {@code last} form a card, using at most {@code available} groups. */
    private boolean isCardEndingAt(String text, int last, int available, boolean fourFollows) {
        int single = groupLength[last % MAX_GROUPS];
        if (single >= 13 && single <= 19 && isCard(text, last, 1)) {
            return true;
        }
        if (!(fourAt(last - 2) || fourAt(last - 3) || fourAt(last - 4))) {
            return false;                       // every grouped layout has 3 to 5 groups and starts with 4 digits
        }
        for (int[] layout : LAYOUTS) {
            int k = layout.length;
            if (k > available || k > last + 1) {
                continue;
            }
            int first = last - k + 1;
            if (fourFollows || fourAt(first - 1)) {
                continue;                       // a window of a longer grid of 4-digit groups
            }
            char sep = separator[first % MAX_GROUPS];
            boolean fits = true;
            for (int g = 0; g < k && fits; g++) {
                int slot = (first + g) % MAX_GROUPS;
                fits = groupLength[slot] == layout[g] && (g == k - 1 || separator[slot] == sep);
            }
            if (fits && isCard(text, first, k)) {
                return true;
            }
        }
        return false;
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

    private static boolean touchesWordOrDecimal(String text, int end) {
        if (end >= text.length()) {
            return false;
        }
        char c = text.charAt(end);
        if (SecretShapes.isWord(c)) {
            return true;
        }
        return (c == '.' || c == ',') && end + 1 < text.length() && SecretShapes.isDigit(text.charAt(end + 1));
    }

    private static boolean decimalBefore(String text, int start) {
        char c = text.charAt(start - 1);
        return (c == '.' || c == ',') && start >= 2 && SecretShapes.isDigit(text.charAt(start - 2));
    }
}
