package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The regex builtins' Go semantics, case by case (expected values are what Go's regexp answers); RegoDifferentialIT
 * compares hundreds more with {@code opa eval}.
 */
class RegexBuiltinsTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final RegoBuiltins builtins = RegoBuiltins.create();

    @Test
    void replaceExpandsGoTemplates() {
        assertEquals("b-a", replace("a-b", "(\\w)-(\\w)", "$2-$1"));
        assertEquals("[ab]", replace("ab", "(?P<word>\\w+)", "[${word}]"));
        assertEquals("[ab]", replace("ab", "(?<word>\\w+)", "[${word}]"), "Go accepts (?<name>) too");
        assertEquals("x$", replace("x", "x", "x$$"));
        assertEquals("-", replace("ab", "(\\w+)", "$unknown-"), "unknown groups expand to nothing");
        assertEquals("", replace("ab", "(\\w+)", "$1x"), "$1x names the group '1x', not group 1");
        assertEquals("1y", replace("xy", "x", "${1}1"), "a missing group number expands to nothing");
        assertEquals("$", replace("x", "x", "$"), "a lone $ is literal");
        assertEquals("${", replace("x", "x", "${"), "a malformed reference is literal");
    }

    @Test
    void emptyMatchesFollowGo() {
        // Go skips an empty match that abuts the previous match; java.util.regex and RE2/J's Matcher do not.
        assertEquals(List.of("", "aaa", ""), findN("a*", "baaac", -1));
        assertEquals("<>b<aaa>c<>", replace("baaac", "a*", "<$0>"));
        assertEquals(List.of("", "", ""), findN("", "ab", -1));
        assertEquals(List.of("", "é", ""), findN("é*", "aéb", -1).subList(0, 3), "advances by code point");
    }

    @Test
    void splitFollowsGo() {
        assertEquals(List.of("a", "b", "c"), split(",", "a,b,c"));
        assertEquals(List.of("", "a", ""), split(",", ",a,"));
        assertEquals(List.of(""), split(",", ""));
        assertEquals(List.of(), split("", ""));
        assertEquals(List.of("a", "b"), split("", "ab"));
        assertEquals(List.of("b", "c"), split("a*", "baaac"));
    }

    @Test
    void findNHonoursTheLimit() {
        assertEquals(List.of("1", "22"), findN("\\d+", "1 22 333", 2));
        assertEquals(List.of("1", "22", "333"), findN("\\d+", "1 22 333", -1));
        assertEquals(List.of(), findN("\\d+", "1 22 333", 0));
        assertEquals(List.of(), findN("\\d+", "none", -1));
    }

    @Test
    void literalAlternationsFindWhatTheRegexFinds() {
        String pattern = "AKIA|sk-|s|xox|hooks\\.slack\\.com|0|1";
        GoRegexp regexp = GoRegexp.compile(pattern);
        LiteralAlternation literals = LiteralAlternation.of(pattern);
        assertNotNull(literals);
        for (String text : List.of("", "task-list at hooks.slack.com", "xoxoxo sk-sk- AKIAAKIA", "10 s 01 ss",
                                   "no markers here", "ünïcödé sk-ü")) {
            for (int n : new int[] {-1, 0, 1, 3}) {
                assertEquals(regexp.findAll(text, n), literals.findAll(text, n), text + " n=" + n);
            }
        }
    }

    @Test
    void onlyPlainAlternationsTakeTheLiteralPath() {
        assertNotNull(LiteralAlternation.of("AKIA|sk-|hooks\\.slack\\.com"));
        assertNull(LiteralAlternation.of("\\d|x"));
        assertNull(LiteralAlternation.of("a|"));
        assertNull(LiteralAlternation.of("a.b"));
        assertNull(LiteralAlternation.of("(a)"));
        assertNull(LiteralAlternation.of("\\pL"));
    }

    @Test
    void invalidPatternsAreUndefinedAndIsValidSaysSo() {
        assertThrows(IllegalArgumentException.class, () -> findN("(", "x", -1));
        assertThrows(IllegalArgumentException.class, () -> findN("a{1001}", "x", -1), "RE2 caps repeats at 1000");
        assertThrows(IllegalArgumentException.class, () -> findN("(?=x)", "x", -1), "RE2 has no lookahead");
        assertFalse(call("regex.is_valid", NODES.textNode("(a")).booleanValue());
        assertFalse(call("regex.is_valid", NODES.numberNode(1)).booleanValue(), "false, not an error");
        assertTrue(call("regex.is_valid", NODES.textNode("[[:alpha:]]+")).booleanValue());
    }

    @Test
    void templateMatchBuildsAnAnchoredExpression() {
        assertTrue(templateMatch("urn:foo:{.*}", "urn:foo:bar:baz"));
        assertFalse(templateMatch("urn:foo.bar:{.*}", "urn:fooXbar:x"), "literal parts are quoted");
        assertFalse(templateMatch("x{[0-9]+}", "x12y"), "anchored at both ends");
        assertThrows(IllegalArgumentException.class, () -> templateMatch("{a", "a"));
    }

    @Test
    void patternCacheIsBounded() {
        PatternCache cache = new PatternCache(4);
        for (int i = 0; i < 50; i++) {
            cache.regexp("x" + i);
            assertTrue(cache.size() <= 4, "size " + cache.size());
        }
        assertThrows(IllegalArgumentException.class, () -> cache.regexp("("));
        assertThrows(IllegalArgumentException.class, () -> cache.regexp("("), "cached as invalid");
    }

    @Test
    void listsWhatItProvides() {
        assertTrue(builtins.names().containsAll(List.of("regex.match", "regex.find_n", "regex.replace",
                                                        "regex.split", "regex.is_valid", "regex.template_match",
                                                        "regex.find_all_string_submatch_n", "sprintf",
                                                        "time.now_ns", "object.keys")));
        assertTrue(builtins.find("object.keys").orElseThrow().returnsSet());
        assertEquals(42L, call("time.now_ns").longValue(), "the evaluation's clock");
    }

    private JsonNode call(String name, JsonNode... args) {
        return builtins.find(name).orElseThrow().apply(new Evaluation(42), args);
    }

    private String replace(String text, String pattern, String template) {
        return call("regex.replace", NODES.textNode(text), NODES.textNode(pattern), NODES.textNode(template))
                .asText();
    }

    private List<String> findN(String pattern, String text, int n) {
        return strings(call("regex.find_n", NODES.textNode(pattern), NODES.textNode(text), NODES.numberNode(n)));
    }

    private List<String> split(String pattern, String text) {
        return strings(call("regex.split", NODES.textNode(pattern), NODES.textNode(text)));
    }

    private boolean templateMatch(String template, String value) {
        return call("regex.template_match", NODES.textNode(template), NODES.textNode(value), NODES.textNode("{"),
                    NODES.textNode("}")).booleanValue();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
