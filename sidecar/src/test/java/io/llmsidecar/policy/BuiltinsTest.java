package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The Java side of the host builtins; BuiltinsIT checks the same functions called from Rego compiled to Wasm. */
class BuiltinsTest {
    private final Builtins builtins = new Builtins();

    @Test
    void replaceExpandsGoTemplates() {
        assertEquals("b-a", builtins.replace("a-b", "(\\w)-(\\w)", "$2-$1"));
        assertEquals("[ab]", builtins.replace("ab", "(?P<word>\\w+)", "[${word}]"));
        assertEquals("x$", builtins.replace("x", "x", "x$$"));
        assertEquals("-", builtins.replace("ab", "(\\w+)", "$unknown-"), "unknown groups expand to nothing");
        assertEquals("1y", builtins.replace("xy", "x", "${1}1"), "a missing group number expands to nothing");
    }

    @Test
    void splitFollowsGoSemantics() {
        assertEquals(List.of("a", "b", "c"), strings(builtins.split(",", "a,b,c")));
        assertEquals(List.of("", "a", ""), strings(builtins.split(",", ",a,")));
        assertEquals(List.of(""), strings(builtins.split(",", "")));
        assertEquals(List.of("a", "b"), strings(builtins.split("", "ab")));
    }

    @Test
    void findNHonoursTheLimit() {
        assertEquals(List.of("1", "22"), strings(builtins.findN("\\d+", "1 22 333", 2)));
        assertEquals(List.of("1", "22", "333"), strings(builtins.findN("\\d+", "1 22 333", -1)));
        assertEquals(List.of(), strings(builtins.findN("\\d+", "none", -1)));
    }

    @Test
    void literalAlternationsFindWhatARegexFinds() {
        String pattern = "AKIA|sk-|s|xox|hooks\\.slack\\.com|0|1";
        Pattern regex = Pattern.compile(pattern);
        for (String text : List.of("", "task-list at hooks.slack.com", "xoxoxo sk-sk- AKIAAKIA", "10 s 01 ss",
                                   "no markers here", "ünïcödé sk-ü")) {
            List<String> expected = new ArrayList<>();
            Matcher m = regex.matcher(text);
            while (m.find()) {
                expected.add(m.group());
            }
            assertEquals(expected, strings(builtins.findN(pattern, text, -1)), text);
        }
    }

    @Test
    void onlyPlainAlternationsTakeTheLiteralPath() {
        assertNotNull(Builtins.literalAlternatives("AKIA|sk-|hooks\\.slack\\.com"));
        assertNull(Builtins.literalAlternatives("\\d|x"));
        assertNull(Builtins.literalAlternatives("a|"));
        assertNull(Builtins.literalAlternatives("a.b"));
        assertNull(Builtins.literalAlternatives("(a)"));
    }

    @Test
    void translatesRe2Syntax() {
        assertEquals("(?<year>\\p{Digit}+)", Builtins.translate("(?P<year>[:digit:]+)"));
        assertEquals("[\\p{Alpha}_]", Builtins.translate("[[:alpha:]_]"));
        assertEquals("\\P{Space}", Builtins.translate("[:^space:]"));
    }

    private static List<String> strings(ArrayNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
