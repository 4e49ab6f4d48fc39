package io.llmsidecar.policy;

import java.util.Set;

/**
 * Reads the {@code input.<field>} references of one Rego source, for {@link InputFields}. A lexer of just enough
 * Rego to tell code from comments ({@code #} to the end of the line), strings ({@code "..."} with backslash escapes)
 * and raw strings ({@code `...`}); in code, each {@code input} that starts a term (not preceded by a dot, which
 * would make it a key of another reference) must be followed by {@code .name} or {@code ["name"]}, or the source is
 * taken to read the whole document.
 */
final class RegoInputRefs {
    private static final String INPUT = "input";

    private RegoInputRefs() {
    }

    /**
     * Adds the top-level fields {@code source} reads to {@code into}.
     *
     * @return false when the source may read any field (the whole document used, or a key computed at run time)
     */
    static boolean collect(String source, Set<String> into) {
        int n = source.length();
        int i = 0;
        while (i < n) {
            char c = source.charAt(i);
            if (c == '#') {
                i = lineEnd(source, i);
            } else if (c == '"') {
                i = stringEnd(source, i);
            } else if (c == '`') {
                int close = source.indexOf('`', i + 1);
                i = close < 0 ? n : close + 1;
            } else if (identifierStart(c)) {
                int end = i + 1;
                while (end < n && identifierPart(source.charAt(end))) {
                    end++;
                }
                boolean term = i == 0 || source.charAt(i - 1) != '.';
                if (term && end - i == INPUT.length() && source.startsWith(INPUT, i)) {
                    String field = fieldAfter(source, end);
                    if (field == null) {
                        return false;
                    }
                    into.add(field);
                }
                i = end;
            } else {
                i++;
            }
        }
        return true;
    }

    /** The field named right after {@code input} ending at {@code at}, or null when it is not a constant name. */
    private static String fieldAfter(String source, int at) {
        int n = source.length();
        if (at < n && source.charAt(at) == '.') {
            int end = at + 1;
            if (end >= n || !identifierStart(source.charAt(end))) {
                return null;
            }
            while (end < n && identifierPart(source.charAt(end))) {
                end++;
            }
            return source.substring(at + 1, end);
        }
        if (at + 1 < n && source.charAt(at) == '[' && source.charAt(at + 1) == '"') {
            int close = source.indexOf('"', at + 2);
            if (close < 0 || close + 1 >= n || source.charAt(close + 1) != ']') {
                return null;
            }
            String name = source.substring(at + 2, close);
            return name.indexOf('\\') >= 0 ? null : name;      // an escaped name is not worth decoding: keep all
        }
        return null;
    }

    private static int lineEnd(String source, int from) {
        int end = source.indexOf('\n', from);
        return end < 0 ? source.length() : end + 1;
    }

    private static int stringEnd(String source, int open) {
        int n = source.length();
        for (int i = open + 1; i < n; i++) {
            char c = source.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"' || c == '\n') {
                return i + 1;
            }
        }
        return n;
    }

    private static boolean identifierStart(char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean identifierPart(char c) {
        return identifierStart(c) || (c >= '0' && c <= '9');
    }
}
