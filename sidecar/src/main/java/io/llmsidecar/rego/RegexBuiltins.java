package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.re2j.Pattern;

import java.util.List;
import java.util.Map;

import static io.llmsidecar.rego.Operands.integer;
import static io.llmsidecar.rego.Operands.string;

/**
 * OPA's {@code regex.*} builtins on RE2/J: RE2 syntax (as Go's {@code regexp}) and matching in time linear in the
 * text, so no pattern a policy author writes and no prompt an app sends can make a match backtrack.
 */
final class RegexBuiltins {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final PatternCache cache;

    RegexBuiltins(PatternCache cache) {
        this.cache = cache;
    }

    void register(Map<String, Builtin> table) {
        table.put("regex.match", (e, a) -> BooleanNode.valueOf(cache.regexp(string(a[0])).matches(string(a[1]))));
        table.put("regex.is_valid", (e, a) -> BooleanNode.valueOf(isValid(a[0])));
        table.put("regex.find_n", (e, a) -> strings(findN(string(a[0]), string(a[1]), integer(a[2]))));
        table.put("regex.find_all_string_submatch_n", (e, a) -> {
            ArrayNode out = NODES.arrayNode();
            for (List<String> groups : cache.regexp(string(a[0])).findAllSubmatch(string(a[1]), integer(a[2]))) {
                out.add(strings(groups));
            }
            return out;
        });
        table.put("regex.replace", (e, a) -> TextNode.valueOf(
                cache.regexp(string(a[1])).replaceAll(string(a[0]), string(a[2]))));
        table.put("regex.split", (e, a) -> strings(cache.regexp(string(a[0])).split(string(a[1]))));
        table.put("regex.template_match", (e, a) -> BooleanNode.valueOf(
                templateMatch(string(a[0]), string(a[1]), string(a[2]), string(a[3]))));
    }

    List<String> findN(String pattern, String text, int n) {
        LiteralAlternation literals = cache.literals(pattern);
        return literals != null ? literals.findAll(text, n) : cache.regexp(pattern).findAll(text, n);
    }

    /** OPA answers false, never an error, for anything that is not a valid expression, strings or not. */
    private boolean isValid(JsonNode pattern) {
        if (!pattern.isTextual()) {
            return false;
        }
        try {
            cache.regexp(pattern.asText());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * OPA's {@code regex.template_match}: the template's delimited parts are expressions, the rest literal text,
     * and the whole value must match ({@code ^...$}). Delimiters nest; unbalanced ones are an error.
     */
    boolean templateMatch(String template, String value, String start, String end) {
        if (start.length() != 1 || end.length() != 1) {
            throw new IllegalArgumentException("delimiters must be exactly one character long");
        }
        char open = start.charAt(0);
        char close = end.charAt(0);
        StringBuilder expression = new StringBuilder("^");
        int level = 0;
        int partStart = 0;
        int literalStart = 0;
        int variable = 0;
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == open) {
                if (++level == 1) {
                    partStart = i;
                }
            } else if (c == close) {
                if (--level == 0) {
                    expression.append(Pattern.quote(template.substring(literalStart, partStart)))
                            .append("(?P<v").append(variable++).append('>')
                            .append(template, partStart + 1, i).append(')');
                    literalStart = i + 1;
                } else if (level < 0) {
                    throw new IllegalArgumentException("unbalanced braces in " + template);
                }
            }
        }
        if (level != 0) {
            throw new IllegalArgumentException("unbalanced braces in " + template);
        }
        expression.append(Pattern.quote(template.substring(literalStart))).append('$');
        return cache.regexp(expression.toString()).matches(value);
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode out = NODES.arrayNode(values.size());
        values.forEach(out::add);
        return out;
    }
}
