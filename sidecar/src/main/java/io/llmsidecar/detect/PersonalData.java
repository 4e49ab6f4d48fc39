package io.llmsidecar.detect;

/**
 * Bounded matchers for personal data, run only when {@code policy.detectors.pii} asks for them. Like
 * {@link SecretShapes}, each looks at a fixed window around its marker.
 */
final class PersonalData {
    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 253;
    private static final int MAX_PHONE = 24;

    private PersonalData() {
    }

    /**
     * An address {@code local@domain.tld}: a local part of {@code [A-Za-z0-9._%+-]} (at most 64, not starting or
     * ending with a dot), then labels of {@code [A-Za-z0-9-]} joined by dots, the last one 2+ letters.
     */
    static int email(String text, int at) {
        int from = at;
        int stop = Math.max(0, at - MAX_LOCAL_PART - 1);
        while (from > stop && localChar(text.charAt(from - 1))) {
            from--;
        }
        if (from == at || from == stop && from > 0 && localChar(text.charAt(from - 1))
            || text.charAt(from) == '.' || text.charAt(at - 1) == '.') {
            return -1;
        }
        int limit = Math.min(text.length(), at + 1 + MAX_DOMAIN);
        int pos = at + 1;
        int labels = 0;
        int lastLabelStart = pos;
        boolean lastAllLetters = false;
        while (pos < limit) {
            int label = pos;
            boolean letters = true;
            while (pos < limit && (SecretShapes.isAlnum(text.charAt(pos)) || text.charAt(pos) == '-')) {
                letters &= Character.isLetter(text.charAt(pos));
                pos++;
            }
            if (pos == label) {
                break;
            }
            labels++;
            lastLabelStart = label;
            lastAllLetters = letters;
            if (pos + 1 < limit && text.charAt(pos) == '.' && SecretShapes.isAlnum(text.charAt(pos + 1))) {
                pos++;
            } else {
                break;
            }
        }
        return labels >= 2 && lastAllLetters && pos - lastLabelStart >= 2 ? pos : -1;
    }

    /**
     * An international number: {@code +}, a country code that does not start with 0, then 8 to 15 digits in all,
     * grouped by single spaces, dashes or dots, with the area code optionally in parentheses.
     */
    static int phone(String text, int plus) {
        if (plus > 0 && (SecretShapes.isWord(text.charAt(plus - 1)) || text.charAt(plus - 1) == '+')) {
            return -1;
        }
        int pos = plus + 1;
        if (pos >= text.length() || text.charAt(pos) < '1' || text.charAt(pos) > '9') {
            return -1;
        }
        int limit = Math.min(text.length(), plus + 1 + MAX_PHONE);
        int digits = 0;
        int lastDigitEnd = pos;
        while (pos < limit) {
            char c = text.charAt(pos);
            if (SecretShapes.isDigit(c)) {
                digits++;
                lastDigitEnd = ++pos;
            } else if (pos + 1 < limit && separates(c, text.charAt(pos + 1))) {
                pos++;
            } else {
                break;
            }
        }
        if (lastDigitEnd < text.length() && SecretShapes.isWord(text.charAt(lastDigitEnd))) {
            return -1;
        }
        return digits >= 8 && digits <= 15 ? lastDigitEnd : -1;
    }

    /** Single separators between digit groups; {@code " ("} and {@code ") "} around an area code. */
    private static boolean separates(char c, char next) {
        boolean digitNext = SecretShapes.isDigit(next);
        return switch (c) {
            case ' ' -> digitNext || next == '(';
            case '-', '.', '(' -> digitNext;
            case ')' -> digitNext || next == ' ' || next == '-';
            default -> false;
        };
    }

    private static boolean localChar(char c) {
        return SecretShapes.isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
    }
}
