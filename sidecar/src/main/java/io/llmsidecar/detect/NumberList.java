package io.llmsidecar.detect;

/**
 * Follows the numbers of one text as lists, so that a card candidate that is one of many long numbers in a row
 * (a table of int64 constants, a JSON array of IDs, a column of order numbers) is not read as a card.
 *
 * <p>A <em>word</em> is a run of digit runs joined by glue: letters, {@code _ . + - : /} and no blank
 * ({@code 0x1f}, {@code 8.68e+00}, {@code 12:30}). A word is <em>long</em> when one of its digit runs has at least
 * {@value #LONG_DIGITS} digits. Words joined by list separators (blanks, {@code , ; |}, brackets and quotes, after
 * at most a short suffix such as {@code L} or {@code ULL} and before at most a sign) form a <em>list</em>; anything
 * else (a word with a blank on either side, {@code =}, {@code &}...) ends it. Card candidates are held until their
 * list ends, then:
 * <ul>
 *   <li>in a list of {@value #LIST_MEMBERS} or more long words (a candidate in a card layout counts as one), the
 *       candidates are cards only if they are more than half of them: then they are a list of cards, all
 *       {@link Confidence#HIGH}; otherwise they are the one in ten of any long numbers that pass the Luhn check,
 *       and are dropped;</li>
 *   <li>in a shorter list each keeps its own evidence, except that a number alone on its line is only
 *       {@link Confidence#LOW} when long numbers that are not cards share its list.</li>
 * </ul>
 * Constant work per digit run and per candidate, plus one look at each character between numbers.
 */
final class NumberList {
    static final int LONG_DIGITS = 10;
    static final int LIST_MEMBERS = 4;
    /** At most this many glue characters end the previous word before a list separator ({@code ULL, }). */
    private static final int MAX_SUFFIX = 4;
    /** At most this many signs start the next word after a list separator ({@code , -}). */
    private static final int MAX_PREFIX = 2;

    /** What speaks for a candidate besides issuer range and Luhn check. */
    enum Evidence {
        /** Separators in a card layout, or a context word nearby. */
        STRONG,
        /** A line (or a whole text) of its own. */
        ALONE,
        /** Nothing. */
        BARE
    }

    private int members;
    private boolean wordIsLong;
    private int strong;
    private int alone;
    private int bare;
    private int high;
    private int low;

    /** Starts a new text. */
    void reset() {
        clearList();
        high = 0;
        low = 0;
    }

    /** The characters between two numbers ({@code [from, to)}, no digits): glue, a list separator or neither. */
    void between(String text, int from, int to) {
        if (members == 0 && !wordIsLong && strong + alone + bare == 0) {
            return;                                 // nothing to carry on or to end: every answer leaves it so
        }
        int i = from;
        while (i < to && glue(text.charAt(i))) {
            i++;
        }
        if (i == to) {
            return;                                 // the same word goes on
        }
        if (i - from > MAX_SUFFIX || !separator(text.charAt(i))) {
            endList();
            return;
        }
        while (i < to && separator(text.charAt(i))) {
            i++;
        }
        int prefix = i;
        while (i < to && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
            i++;
        }
        if (i < to || i - prefix > MAX_PREFIX) {
            endList();
        } else {
            wordIsLong = false;                     // the next word of the same list
        }
    }

    /** A separator inside a number: a space starts the next word of the list, a dash goes on with the word. */
    void groupSeparator(char c) {
        if (c == ' ') {
            wordIsLong = false;
        }
    }

    /** A run of {@code length} digits in the current word. */
    void digits(int length) {
        if (length >= LONG_DIGITS && !wordIsLong) {
            wordIsLong = true;
            members++;
        }
    }

    /**
     * Whether a candidate's own evidence can still matter: not once its list has {@value #LIST_MEMBERS} members,
     * which is then decided as a whole. Saves reading the text around each number of a long list.
     */
    boolean evidenceMatters(boolean grouped) {
        return members + (grouped ? 1 : 0) < LIST_MEMBERS;
    }

    /** A card candidate in the current list; {@code grouped} when written in groups (so not a long word). */
    void candidate(Evidence evidence, boolean grouped) {
        if (grouped) {
            members++;
        }
        switch (evidence) {
            case STRONG -> strong++;
            case ALONE -> alone++;
            case BARE -> bare++;
        }
    }

    /** Ends the text: decides the last list. */
    void finish() {
        endList();
    }

    int high() {
        return high;
    }

    int low() {
        return low;
    }

    private void endList() {
        int cards = strong + alone + bare;
        if (cards > 0) {
            if (members >= LIST_MEMBERS) {
                if (2 * cards > members) {
                    high += cards;                  // a list of cards; otherwise a list of numbers
                }
            } else if (members == cards) {
                high += strong + alone;
                low += bare;
            } else {
                high += strong;
                low += alone + bare;
            }
        }
        clearList();
    }

    private void clearList() {
        members = 0;
        wordIsLong = false;
        strong = 0;
        alone = 0;
        bare = 0;
    }

    private static boolean glue(char c) {
        return SecretShapes.isWord(c) || c == '.' || c == '+' || c == '-' || c == ':' || c == '/';
    }

    private static boolean separator(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\r', ',', ';', '|', '[', ']', '(', ')', '{', '}', '"', '\'', '`' -> true;
            default -> false;
        };
    }
}
