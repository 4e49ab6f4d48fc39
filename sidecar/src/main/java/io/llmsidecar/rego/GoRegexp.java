package io.llmsidecar.rego;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A compiled RE2 expression with the match iteration of Go's {@code regexp} package, which OPA's regex builtins
 * call. RE2/J gives the RE2 syntax and linear-time matching; Go's rules for empty matches (an empty match right
 * after a match is skipped, the search then moves on by one code point) and its {@code $name} templates are
 * spelled out here because RE2/J's {@code Matcher} follows {@code java.util.regex} on both.
 *
 * <p>Immutable and thread-safe: every call makes its own {@link Matcher}.
 */
final class GoRegexp {
    private final Pattern pattern;
    private final Map<String, Integer> names;

    private GoRegexp(Pattern pattern) {
        this.pattern = pattern;
        this.names = pattern.namedGroups();
    }

    /** @throws com.google.re2j.PatternSyntaxException when RE2 rejects the expression */
    static GoRegexp compile(String expression) {
        return new GoRegexp(Pattern.compile(expression));
    }

    String expression() {
        return pattern.pattern();
    }

    /** Go's {@code MatchString}: the expression matches somewhere in {@code text}. */
    boolean matches(String text) {
        return pattern.matcher(text).find();
    }

    /** Go's {@code FindAllString(text, n)}; {@code n < 0} means all. */
    List<String> findAll(String text, int n) {
        List<String> out = new ArrayList<>();
        forEachMatch(text, n, m -> out.add(m.group()));
        return out;
    }

    /** Go's {@code FindAllStringSubmatch(text, n)}: per match, the whole match and every group ("" if unset). */
    List<List<String>> findAllSubmatch(String text, int n) {
        List<List<String>> out = new ArrayList<>();
        forEachMatch(text, n, m -> {
            List<String> groups = new ArrayList<>(m.groupCount() + 1);
            for (int g = 0; g <= m.groupCount(); g++) {
                String value = m.group(g);
                groups.add(value == null ? "" : value);
            }
            out.add(groups);
        });
        return out;
    }

    /** Go's {@code Split(text, -1)}. */
    List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text.isEmpty()) {
            if (!pattern.pattern().isEmpty()) {
                out.add("");
            }
            return out;
        }
        int[] begin = {0};
        int[] end = {0};
        forEachMatch(text, -1, m -> {
            end[0] = m.start();
            if (m.end() != 0) {
                out.add(text.substring(begin[0], end[0]));
            }
            begin[0] = m.end();
        });
        if (end[0] != text.length()) {
            out.add(text.substring(begin[0]));
        }
        return out;
    }

    /** Go's {@code ReplaceAllString(text, template)}, with {@code $1}, {@code ${name}} and {@code $$}. */
    String replaceAll(String text, String template) {
        StringBuilder out = new StringBuilder(text.length());
        Matcher m = pattern.matcher(text);
        int lastMatchEnd = 0;
        int searchPos = 0;
        while (searchPos <= text.length() && m.find(searchPos)) {
            out.append(text, lastMatchEnd, m.start());
            // No replacement for an empty match right after another match (Go would otherwise replace twice).
            if (m.end() > lastMatchEnd || m.start() == 0) {
                expand(out, template, m);
            }
            lastMatchEnd = m.end();
            int width = searchPos < text.length() ? Character.charCount(text.codePointAt(searchPos)) : 1;
            searchPos = Math.max(searchPos + width, m.end());
        }
        out.append(text, lastMatchEnd, text.length());
        return out.toString();
    }

    /** Go's {@code allMatches}: non-overlapping matches, no empty match abutting the previous match. */
    private void forEachMatch(String text, int n, java.util.function.Consumer<Matcher> action) {
        Matcher m = pattern.matcher(text);
        int pos = 0;
        int prevMatchEnd = -1;
        int delivered = 0;
        while ((n < 0 || delivered < n) && pos <= text.length() && m.find(pos)) {
            boolean accept = true;
            if (m.end() == pos) {
                if (m.start() == prevMatchEnd) {
                    accept = false;
                }
                pos += pos < text.length() ? Character.charCount(text.codePointAt(pos)) : 1;
            } else {
                pos = m.end();
            }
            prevMatchEnd = m.end();
            if (accept) {
                action.accept(m);
                delivered++;
            }
        }
    }

    /** Go's {@code Regexp.expand}: {@code $name} takes the longest run of letters, digits and underscores. */
    private void expand(StringBuilder out, String template, Matcher m) {
        int i = 0;
        while (i < template.length()) {
            int dollar = template.indexOf('$', i);
            if (dollar < 0) {
                break;
            }
            out.append(template, i, dollar);
            i = dollar + 1;
            if (i < template.length() && template.charAt(i) == '$') {
                out.append('$');
                i++;
                continue;
            }
            boolean brace = i < template.length() && template.charAt(i) == '{';
            int start = brace ? i + 1 : i;
            int j = start;
            while (j < template.length()) {
                int cp = template.codePointAt(j);
                if (!(Character.isLetterOrDigit(cp) || cp == '_')) {
                    break;
                }
                j += Character.charCount(cp);
            }
            if (j == start || (brace && (j >= template.length() || template.charAt(j) != '}'))) {
                out.append('$');                        // malformed: the $ is literal text
                continue;
            }
            appendGroup(out, template.substring(start, j), m);
            i = brace ? j + 1 : j;
        }
        out.append(template, i, template.length());
    }

    private void appendGroup(StringBuilder out, String name, Matcher m) {
        int number = groupNumber(name);
        if (number < 0) {
            Integer named = names.get(name);
            number = named == null ? -1 : named;
        }
        if (number >= 0 && number <= m.groupCount()) {
            String value = m.group(number);
            if (value != null) {
                out.append(value);
            }
        }
    }

    /** Go reads an all-digit name as a group number (below 1e8), anything else as a group name. */
    private static int groupNumber(String name) {
        int number = 0;
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            if (c < '0' || c > '9' || number >= 100_000_000) {
                return -1;
            }
            number = number * 10 + (c - '0');
        }
        return number;
    }
}
