package io.llmsidecar.detect;

/**
 * What the text around a card candidate says about it: a word that names cards nearby ({@code card}, {@code visa},
 * {@code cvv}, {@code exp}, ... also inside identifiers such as {@code cardNumber} or {@code cc_exp}), or a line of
 * its own. Each check reads a bounded window, so a candidate costs a constant whatever the text.
 */
final class CardContext {
    /** Characters looked at on each side of a candidate for a context word. */
    static final int WINDOW = 48;
    /** Characters looked at on each side of a candidate for the rest of its line. */
    private static final int LINE_WINDOW = 64;

    /**
     * Whole words (or identifier parts, split at {@code _}, digits and camelCase humps), compared ignoring case.
     * Issuers, the card itself, its other fields, and "card" in a few languages written in ASCII.
     */
    private static final String[] WORDS = {
        "card", "cards", "cardholder", "cardnumber", "visa", "mastercard", "amex", "americanexpress", "discover",
        "jcb", "diners", "unionpay", "maestro", "credit", "debit", "cvv", "cvc", "ccv", "cvn", "exp", "expiry",
        "expires", "expiration", "pan", "cc", "ccnum", "tarjeta", "carte", "karte", "kreditkarte", "carta", "cartao"};
    private static final int LONGEST_WORD = 15;

    private CardContext() {
    }

    /** Whether a context word sits within {@link #WINDOW} characters before {@code from} or after {@code to}. */
    static boolean mentioned(String text, int from, int to) {
        return hasWord(text, Math.max(0, from - WINDOW), from)
               || hasWord(text, to, Math.min(text.length(), to + WINDOW));
    }

    /**
     * Whether the candidate is all its line holds, apart from blanks and quotes: a number on a line of its own, or
     * a whole form field or JSON string value.
     */
    static boolean aloneOnLine(String text, int from, int to) {
        int i = from - 1;
        int stop = Math.max(-1, from - 1 - LINE_WINDOW);
        while (i > stop && wrapping(text.charAt(i))) {
            i--;
        }
        if (i >= 0 && !lineBreak(text.charAt(i))) {
            return false;
        }
        int n = text.length();
        int j = to;
        int limit = Math.min(n, to + LINE_WINDOW);
        while (j < limit && wrapping(text.charAt(j))) {
            j++;
        }
        return j == n || lineBreak(text.charAt(j));
    }

    private static boolean hasWord(String text, int from, int to) {
        int i = from;
        if (i > 0 && letter(text.charAt(i - 1))) {
            while (i < to && letter(text.charAt(i))) {
                i++;                                // the rest of a word cut by the window: not a whole word
            }
        }
        while (i < to) {
            char c = text.charAt(i);
            if (!letter(c)) {
                if (c == '\u5361' || c == '\u30ab' && text.startsWith("\u30fc\u30c9", i + 1)) {
                    return true;                    // 卡 (Chinese "card"), カード (Japanese)
                }
                i++;
                continue;
            }
            int start = i;
            while (i < to && letter(text.charAt(i))) {
                i++;
            }
            boolean cut = i == to && i < text.length() && letter(text.charAt(i));
            if (!cut && hasPart(text, start, i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a camelCase part of the word {@code [start, end)} is a context word. */
    private static boolean hasPart(String text, int start, int end) {
        int part = start;
        for (int k = start + 1; k <= end; k++) {
            if (k == end || hump(text, k, end)) {
                if (isWord(text, part, k)) {
                    return true;
                }
                part = k;
            }
        }
        return false;
    }

    /** A camelCase boundary before {@code k}: {@code cardNumber}, {@code CVVCode}. */
    private static boolean hump(String text, int k, int end) {
        boolean upper = SecretShapes.isUpper(text.charAt(k));
        boolean upperBefore = SecretShapes.isUpper(text.charAt(k - 1));
        return upper && !upperBefore
               || upper && k + 1 < end && !SecretShapes.isUpper(text.charAt(k + 1));
    }

    private static boolean isWord(String text, int start, int end) {
        int length = end - start;
        if (length < 2 || length > LONGEST_WORD) {
            return false;
        }
        for (String word : WORDS) {
            if (word.length() == length && text.regionMatches(true, start, word, 0, length)) {
                return true;
            }
        }
        return false;
    }

    private static boolean letter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    private static boolean wrapping(char c) {
        return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '`';
    }

    private static boolean lineBreak(char c) {
        return c == '\n' || c == '\r';
    }
}
