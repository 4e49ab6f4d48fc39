package io.llmsidecar.tokens;

/**
 * o200k_base's pre-tokenizer, hand-written: the pieces {@link BpeTokenizer#O200K_PATTERN} finds with
 * {@code java.util.regex} (and tiktoken with its own engine), found in one forward pass at a fraction of the
 * regex's cost, which was half of all counting time. Each branch below is one alternative of the pattern, tried in
 * the pattern's order, with the outcome its backtracking reaches; the tests compare both on every code point's class
 * and on random and real text.
 */
final class O200kPieces {
    // Classes of a code point, as the pattern's \p{..} and \s see them with UNICODE_CHARACTER_CLASS.
    private static final int UPPERISH = 1;   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    private static final int LOWERISH = 2;   // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
    private static final int LETTER = 4;     // \p{L}
    private static final int NUMBER = 8;     // \p{N}
    private static final int SPACE = 16;     // \s
    private static final int NEWLINE = 32;   // [\r\n]
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII[c] = (byte) classify(c);
        }
    }

    private O200kPieces() {
    }

    /** The end of the piece that starts at {@code i}, or -1 if none does (then the regex skips a code point). */
    static int pieceEnd(CharSequence text, int i) {
        int length = text.length();
        int c = Character.codePointAt(text, i);
        int cls = classOf(c);
        // [^\r\n\p{L}\p{N}]? then the letter runs: with the optional prefix taken first, then without it.
        boolean prefix = (cls & (LETTER | NUMBER | NEWLINE)) == 0;
        if (prefix) {
            int end = lowerWord(text, i + Character.charCount(c));
            if (end >= 0) {
                return end;
            }
        }
        int end = lowerWord(text, i);
        if (end >= 0) {
            return end;
        }
        if (prefix) {
            end = upperWord(text, i + Character.charCount(c));
            if (end >= 0) {
                return end;
            }
        }
        end = upperWord(text, i);
        if (end >= 0) {
            return end;
        }
        // \p{N}{1,3}
        if ((cls & NUMBER) != 0) {
            int j = i;
            for (int n = 0; n < 3 && j < length; n++) {
                int d = Character.codePointAt(text, j);
                if ((classOf(d) & NUMBER) == 0) {
                    break;
                }
                j += Character.charCount(d);
            }
            return j;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n/]*
        int j = c == ' ' ? i + 1 : i;
        int symbols = run(text, j, LETTER | NUMBER | SPACE, false);
        if (symbols > j) {
            while (symbols < length && (text.charAt(symbols) == '\r' || text.charAt(symbols) == '\n'
                    || text.charAt(symbols) == '/')) {
                symbols++;
            }
            return symbols;
        }
        if ((cls & SPACE) == 0) {
            return -1;
        }
        int spaces = run(text, i, SPACE, true);
        // \s*[\r\n]+ : up to the last newline in the whitespace run.
        for (int k = spaces - 1; k >= i; k--) {
            char ch = text.charAt(k);
            if (ch == '\r' || ch == '\n') {
                return k + 1;
            }
        }
        // \s+(?!\S) : the run, less its last code point unless the text ends there; else \s+ : the run.
        if (spaces == length) {
            return spaces;
        }
        int last = Character.offsetByCodePoints(text, spaces, -1);
        return last > i ? last : spaces;
    }

    /** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+ and a contraction, from {@code s}; -1 if none. */
    private static int lowerWord(CharSequence text, int s) {
        int length = text.length();
        if (s >= length) {
            return -1;
        }
        int upper = run(text, s, UPPERISH, true);
        // Greedy U* then Lw+: the regex gives back U characters until one can start the Lw run.
        if (upper < length && (classOf(Character.codePointAt(text, upper)) & LOWERISH) != 0) {
            return contraction(text, run(text, upper, LOWERISH, true));
        }
        for (int q = upper; q > s; ) {
            q = Character.offsetByCodePoints(text, q, -1);
            int c = Character.codePointAt(text, q);
            if ((classOf(c) & LOWERISH) != 0) {
                // Every U character after q is not also Lw, so the Lw run is this one character.
                return contraction(text, q + Character.charCount(c));
            }
        }
        return -1;
    }

    /** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]* and a contraction, from {@code s}; -1 if none. */
    private static int upperWord(CharSequence text, int s) {
        if (s >= text.length()) {
            return -1;
        }
        int upper = run(text, s, UPPERISH, true);
        return upper == s ? -1 : contraction(text, run(text, upper, LOWERISH, true));
    }

    /** (?i:'s|'t|'re|'ve|'m|'ll|'d)? at {@code i}, matched case-insensitively as java.util.regex does. */
    private static int contraction(CharSequence text, int i) {
        int length = text.length();
        if (i + 1 >= length || text.charAt(i) != '\'') {
            return i;
        }
        int a = Character.codePointAt(text, i + 1);
        int afterA = i + 1 + Character.charCount(a);
        if (is(a, 's') || is(a, 't') || is(a, 'm') || is(a, 'd')) {
            return afterA;
        }
        if (afterA < length && (is(a, 'r') || is(a, 'v')) && is(Character.codePointAt(text, afterA), 'e')
                || afterA < length && is(a, 'l') && is(Character.codePointAt(text, afterA), 'l')) {
            return afterA + Character.charCount(Character.codePointAt(text, afterA));
        }
        return i;
    }

    /** Unicode case-insensitive equality with a lowercase ASCII letter, as Pattern's UNICODE_CASE compares. */
    private static boolean is(int c, char lower) {
        return Character.toLowerCase(Character.toUpperCase(c)) == lower;
    }

    /** The end of the run from {@code i} of code points that have ({@code in}) or lack any of {@code classes}. */
    private static int run(CharSequence text, int i, int classes, boolean in) {
        int length = text.length();
        while (i < length) {
            char ch = text.charAt(i);
            if (ch < 128) {
                if (((ASCII[ch] & classes) != 0) != in) {
                    return i;
                }
                i++;
            } else {
                int c = Character.codePointAt(text, i);
                if (((classOf(c) & classes) != 0) != in) {
                    return i;
                }
                i += Character.charCount(c);
            }
        }
        return i;
    }

    private static int classOf(int c) {
        return c < 128 ? ASCII[c] : classify(c);
    }

    static int classify(int c) {
        int cls = switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER -> UPPERISH | LETTER;
            case Character.LOWERCASE_LETTER -> LOWERISH | LETTER;
            case Character.MODIFIER_LETTER, Character.OTHER_LETTER -> UPPERISH | LOWERISH | LETTER;
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK ->
                    UPPERISH | LOWERISH;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SPACE;
            default -> 0;
        };
        if (c >= 0x9 && c <= 0xd || c == 0x85) {
            cls |= SPACE;
        }
        if (c == '\r' || c == '\n') {
            cls |= NEWLINE;
        }
        return cls;
    }
}
