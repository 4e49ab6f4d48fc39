package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.rego.Builtin;
import io.llmsidecar.rego.Evaluation;
import io.llmsidecar.rego.RegoBuiltins;
import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential tests of the host builtins and the Wasm host against OPA itself: the same Rego
 * ({@code policies/differential}) over the same cases, evaluated by {@code opa eval} (Go's regexp, fmt, time)
 * and by the sidecar, twice: compiled to Wasm and run on {@link OpaInstance} (whichever builtins the module leaves
 * to the host go through {@link RegoBuiltins}), and every builtin called directly in Java. Both must equal OPA's
 * answer, case by case, including which cases are undefined (a builtin error).
 *
 * <p>The cases include adversarial ones: nested quantifiers on 100 KB of text, which a backtracking engine would
 * not finish, and a 90 KB run of one marker repeated.
 */
class RegoDifferentialIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String ADVERSARIAL = "a".repeat(100_000) + "b";
    /**
     * Patterns on which OPA's own Wasm disagrees with OPA's Go for the regex builtins the module implements
     * inside (its RE2 is older than Go's regexp): {@code (?<name>)} is rejected, {@code \C} accepted. The host is
     * never called for those builtins; the Java builtins still answer as Go does for them.
     */
    private static final Set<String> OPA_WASM_DEVIATIONS = Set.of("(?<name>x)", "\\C");
    private static final Set<String> WASM_NATIVE = Set.of("regex.match", "regex.is_valid",
                                                         "regex.find_all_string_submatch_n");

    private static Path policy;
    private static JsonNode input;
    private static JsonNode expected;

    @BeforeAll
    static void evaluateWithOpa() throws Exception {
        Path dir = Files.createTempDirectory("rego-differential");
        policy = dir.resolve("differential.rego");
        Files.writeString(policy, TestPolicies.resource("/policies/differential/differential.rego"));
        input = cases();
        Path inputFile = dir.resolve("input.json");
        Files.write(inputFile, JSON.writeValueAsBytes(input));
        Process p = new ProcessBuilder(Project.root().resolve("scripts/opa.sh").toString(), "eval", "-f", "raw",
                                       "-d", policy.toString(), "-i", inputFile.toString(),
                                       "data.differential.results")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        expected = JSON.readTree(out);
    }

    @Test
    void theWasmHostAnswersWhatOpaAnswers() throws Exception {
        Path dir = policy.getParent();
        PolicyBundle bundle = PolicyBundle.read(build(dir));
        OpaModule module = OpaModule.compile(bundle.wasm());
        OpaInstance instance = module.instantiate(bundle.data(), RegoBuiltins.create());
        int entrypoint = instance.entrypoints().get("differential/results");
        byte[] bytes = JSON.writeValueAsBytes(input);

        JsonNode actual = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> JSON.readTree(
                instance.evaluate(entrypoint, bytes, new Evaluation(0))).at("/0/result"));

        assertSameResults(expected, actual, true);
        // The heap is reset after every evaluation: a second run answers the same and the memory does not grow.
        int pages = instance.memoryPages();
        assertSameResults(expected, JSON.readTree(instance.evaluate(entrypoint, bytes, new Evaluation(0)))
                .at("/0/result"), true);
        assertEquals(pages, instance.memoryPages());
    }

    @Test
    void theJavaBuiltinsAnswerWhatOpaAnswers() throws Exception {
        RegoBuiltins builtins = RegoBuiltins.create();
        ObjectNode actual = NODES.objectNode();
        for (Iterator<String> names = expected.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            Builtin builtin = builtins.find(name).orElseThrow(() -> new AssertionError("no builtin " + name));
            ObjectNode results = actual.putObject(name);
            JsonNode cases = input.get(section(name));
            for (int i = 0; i < cases.size(); i++) {
                JsonNode[] args = ARGUMENTS.get(name).apply(cases.get(i));
                JsonNode result;
                try {
                    result = builtin.apply(new Evaluation(0), args);
                } catch (RuntimeException e) {
                    continue;                           // undefined, as in OPA: the key stays out
                }
                // Through JSON text, as the host hands results to the module: 2 is 2 whether int or long.
                results.set(Integer.toString(i), JSON.readTree(JSON.writeValueAsString(
                        name.equals("object.keys") ? sorted(result) : result)));
            }
        }
        assertSameResults(expected, actual, false);
    }

    @Test
    void nestedQuantifiersOnLongTextFinishInLinearTime() {
        Builtin findN = RegoBuiltins.create().find("regex.find_n").orElseThrow();
        Builtin replace = RegoBuiltins.create().find("regex.replace").orElseThrow();
        // java.util.regex needs 2^100000 steps for these; RE2 is linear. Generous bound: a guard, not a benchmark.
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (String pattern : List.of("(a+)+$", "(a|aa)+$", "(a*)*b$", "^(a|a?)+$", "(\\w+\\s?)+$")) {
                JsonNode found = findN.apply(new Evaluation(0), NODES.textNode(pattern),
                                             NODES.textNode(ADVERSARIAL), NODES.numberNode(-1));
                assertTrue(found.size() <= 1, pattern);
                replace.apply(new Evaluation(0), NODES.textNode(ADVERSARIAL), NODES.textNode(pattern),
                              NODES.textNode("x"));
            }
        });
    }

    /** Compares per builtin and per case, so a failure names the case. */
    private static void assertSameResults(JsonNode expected, JsonNode actual, boolean wasm) {
        assertEquals(new TreeSet<>(names(expected)), new TreeSet<>(names(actual)));
        for (String name : names(expected)) {
            JsonNode want = expected.get(name);
            JsonNode got = actual.get(name);
            JsonNode cases = input.get(section(name));
            int deviations = 0;
            for (int i = 0; i < cases.size(); i++) {
                String key = Integer.toString(i);
                if (wasm && WASM_NATIVE.contains(name) && cases.get(i).has("p")
                    && OPA_WASM_DEVIATIONS.contains(cases.get(i).get("p").asText())) {
                    deviations += (want.has(key) ? 1 : 0) - (got.has(key) ? 1 : 0);
                    continue;
                }
                assertEquals(want.get(key), got.get(key),
                             () -> name + " case " + key + ": " + abbreviate(cases.get(Integer.parseInt(key))));
            }
            assertEquals(want.size() - deviations, got.size(), name);
        }
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String abbreviate(JsonNode c) {
        String text = c.toString();
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private static JsonNode sorted(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        values.sort(null);
        ArrayNode out = NODES.arrayNode();
        values.forEach(out::add);
        return out;
    }

    private static String section(String builtin) {
        return switch (builtin) {
            case "regex.template_match" -> "templates";
            case "sprintf" -> "sprintf";
            case "strings.count", "indexof_n", "crypto.sha256", "crypto.md5" -> "strings";
            case "time.date", "time.clock", "time.weekday" -> "times";
            case "object.keys" -> "objects";
            default -> "regex";
        };
    }

    /** How differential.rego passes each case to each builtin. */
    private static final Map<String, Function<JsonNode, JsonNode[]>> ARGUMENTS = Map.ofEntries(
            Map.entry("regex.match", c -> new JsonNode[] {c.get("p"), c.get("t")}),
            Map.entry("regex.is_valid", c -> new JsonNode[] {c.get("p")}),
            Map.entry("regex.find_n", c -> new JsonNode[] {c.get("p"), c.get("t"), c.get("n")}),
            Map.entry("regex.find_all_string_submatch_n", c -> new JsonNode[] {c.get("p"), c.get("t"), c.get("n")}),
            Map.entry("regex.replace", c -> new JsonNode[] {c.get("t"), c.get("p"), c.get("r")}),
            Map.entry("regex.split", c -> new JsonNode[] {c.get("p"), c.get("t")}),
            Map.entry("regex.template_match", c -> new JsonNode[] {c.get("template"), c.get("t"), c.get("open"),
                                                                   c.get("close")}),
            Map.entry("sprintf", c -> new JsonNode[] {c.get("f"), c.get("args")}),
            Map.entry("strings.count", c -> new JsonNode[] {c.get("t"), c.get("s")}),
            Map.entry("indexof_n", c -> new JsonNode[] {c.get("t"), c.get("s")}),
            Map.entry("crypto.sha256", c -> new JsonNode[] {c.get("t")}),
            Map.entry("crypto.md5", c -> new JsonNode[] {c.get("t")}),
            Map.entry("time.date", c -> new JsonNode[] {c}),
            Map.entry("time.clock", c -> new JsonNode[] {NODES.arrayNode().add(c).add("America/New_York")}),
            Map.entry("time.weekday", c -> new JsonNode[] {c}),
            Map.entry("object.keys", c -> new JsonNode[] {c}));

    /** Every pattern against every text, with templates and limits that exercise Go's edge cases. */
    private static JsonNode cases() {
        List<String> patterns = List.of(
                "\\d+", "a*", "x*", "", "^", "$", "\\b", "(a+)+$", "(a|aa)+$", "(\\w+\\s?)+$", "[[:alpha:]]+",
                "[[:^space:]]+", "(?i)HELLO", "(?P<y>\\d{4})-(?P<m>\\d\\d)-(?P<d>\\d\\d)", "(a|ab)(c|bcd)(d*)",
                "[^,]*", ",", "\\s*,\\s*", ".", "(?s).+", "\\pL+", "\\p{Greek}+", "[é-ü]+", "(x)?y", "(?m)^\\w+$",
                "sk-|AKIA|hooks\\.slack\\.com", "sk-[A-Za-z0-9]{20,}", "\\Q.*\\E", "a{2,3}?", "(", "a{1001}",
                "(?<name>x)", "\\8", "[z-a]", "a**", "\\C", "日本+", "\\x{1F600}");
        List<String> texts = List.of(
                "", "a", "aaa", "baaac", "1 22 333", "dates 2026-01-05 and 1999-12-31", "héllo wörld, HeLLo",
                "a,b,,c,", ",a,", "line one\nline two\nthree", "abcd acd abbcd", "xyz yy y", "日本本本語 😀a😀",
                "αβγ δ", "task-AKIA sk-abcdefghijklmnopqrstuv hooks.slack.com", ".*.*", "aab ab b");
        List<String> replacements = List.of("<$0>", "$1", "${1}x", "$1x", "$$", "$", "${", "${y}/${m}/${d}",
                                            "[$name]", "${2}${1}", "$10", "é$0é");
        List<Integer> limits = List.of(-1, 0, 1, 2);
        ArrayNode regex = NODES.arrayNode();
        int k = 0;
        for (String pattern : patterns) {
            for (String text : texts) {
                regex.addObject().put("p", pattern).put("t", text).put("n", limits.get(k % limits.size()))
                        .put("r", replacements.get(k % replacements.size()));
                k++;
            }
        }
        // Long adversarial texts, with the patterns a backtracking engine or a rescan per marker chokes on.
        for (String pattern : List.of("(a+)+$", "(a|aa)+$", "(a*)*b$", "^(a|a?)+$", "(\\w+\\s?)+$", "a*b",
                                      "sk-|AKIA|hooks\\.slack\\.com", "sk-[A-Za-z0-9]{20,}", "(sk-)+x")) {
            for (String text : List.of(ADVERSARIAL, "sk-".repeat(30_000))) {
                regex.addObject().put("p", pattern).put("t", text).put("n", -1).put("r", "<$1>");
            }
        }

        ArrayNode templates = NODES.arrayNode();
        String[][] templateCases = {
                {"urn:foo:{.*}", "urn:foo:bar:baz", "{", "}"},
                {"urn:foo:{.*}", "urn:bar:baz", "{", "}"},
                {"urn:foo.bar.com:{.*}", "urn:foo.bar.com:x", "{", "}"},
                {"urn:foo.bar.com:{.*}", "urn:fooXbarYcom:x", "{", "}"},
                {"a<[0-9]{2}>b<x|y>", "a42bx", "<", ">"},
                {"a<[0-9]{2}>b<x|y>", "a4bx", "<", ">"},
                {"{{a}", "a", "{", "}"},
                {"{a}}", "a", "{", "}"},
                {"{(}", "(", "{", "}"},
                {"x{a}", "xa", "{{", "}"},
                {"{a{1,2}}", "aa", "{", "}"},
                {"plain.text", "plain.text", "{", "}"},
                {"plain.text", "plainXtext", "{", "}"}};
        for (String[] t : templateCases) {
            templates.addObject().put("template", t[0]).put("t", t[1]).put("open", t[2]).put("close", t[3]);
        }

        ArrayNode sprintf = NODES.arrayNode();
        Object[][] sprintfCases = {
                {"%v|%d|%q|%.2f|%s|%x|%5d|%-4s|", List.of("a", 7, "q\n", 2.675, List.of(1, "b"), 255, 42, "ab")},
                {"%e %g %G %.3e", List.of(1234.5678, 0.00002, 1e21, 0.0001234)},
                {"%v %v %v", List.of(Map.of("k", List.of(true)), 1.5, "x")},
                {"%d", List.of("not a number")},
                {"%s and %s", List.of("one")},
                {"%08.3f|%+d|% d|%x|%X|%o|%b", List.of(3.14159, 5, 7, "hi", 255, 8, 5)},
                {"%%|%c|%U", List.of(65, 0x1F600)},
                {"%10.4v|%-10v|", List.of(3.14159265, "left")},
                {"%t %v", List.of(true, false)},
                {"%q", List.of("tab\there \"quoted\" é 😀")},
                {"%d %v", List.of(new java.math.BigInteger("123456789012345678901234567890"), 1e100)},
                {"no verbs", List.of()},
                {"%!", List.of(1)},
                {"%5.1f%%", List.of(99.95)}};
        for (Object[] c : sprintfCases) {
            sprintf.addObject().put("f", (String) c[0]).set("args", JSON.valueToTree(c[1]));
        }

        ArrayNode strings = NODES.arrayNode();
        String[][] stringCases = {{"banana", "an"}, {"banana", ""}, {"bänänä", "nä"}, {"aaaa", "aa"},
                                  {"😀a😀a", "a"}, {"", "x"}, {"sk-".repeat(30_000), "sk-"}, {"abc", "abcd"}};
        for (String[] s : stringCases) {
            strings.addObject().put("t", s[0]).put("s", s[1]);
        }

        ArrayNode times = NODES.arrayNode().add(0L).add(1767616200000000000L).add(-1L).add(951782400000000000L)
                .add(4102444799999999999L);
        ArrayNode objects = NODES.arrayNode();
        objects.addObject().put("a", 1).put("b", 2);
        objects.addObject();
        objects.addObject().put("é", 1).put("z", 2).put("A", 3);

        ObjectNode all = NODES.objectNode();
        all.set("regex", regex);
        all.set("templates", templates);
        all.set("sprintf", sprintf);
        all.set("strings", strings);
        all.set("times", times);
        all.set("objects", objects);
        return all;
    }

    private static byte[] build(Path dir) throws Exception {
        Path out = dir.resolve("bundle.tar.gz");
        Process p = new ProcessBuilder(Project.root().resolve("scripts/opa.sh").toString(), "build", "-t", "wasm",
                                       "-e", "differential/results", "-o", out.toString(), "differential.rego")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        return Files.readAllBytes(out);
    }
}
