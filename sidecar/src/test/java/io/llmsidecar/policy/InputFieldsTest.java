package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Which top-level input fields a policy may read, and the document its Wasm module gets. */
class InputFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] NO_WASM = new byte[0];

    private static InputFields of(String... sources) {
        return InputFields.readBy(List.of(sources), NO_WASM, PolicyInput.TOP_LEVEL_FIELDS);
    }

    private static InputFields only(String... fields) {
        return new InputFields.Only(Set.of(fields));
    }

    @Test
    void theDefaultPoliciesReadNeitherBudgetsNorTime() throws Exception {
        List<String> sources = new ArrayList<>();
        try (var files = Files.list(Project.root().resolve("policies"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".rego") && !f.toString().endsWith("_test.rego"))
                    .toList()) {
                sources.add(Files.readString(p));
            }
        }
        assertEquals(only("request", "findings", "subject", "estimate"),
                     InputFields.readBy(sources, NO_WASM, PolicyInput.TOP_LEVEL_FIELDS));
    }

    @Test
    void namedFieldsAreKeptInEitherSpelling() {
        assertEquals(only("request", "budgets"),
                     of("package p\nx if input.request.model == \"a\"\ny if count(input[\"budgets\"]) > 0\n"));
        assertEquals(only("time"), of("package p\nimport input.time as t\nx if t.hour > 3\n"));
    }

    @Test
    void anyUseOfTheWholeDocumentKeepsEveryField() {
        for (String body : List.of("x := input", "x := count(input)", "x if input[k]", "x if input[_].y",
                                   "x := walk(input)", "x := json.marshal(input)", "x := object.keys(input)",
                                   "x if y with input as {}", "x if input[\"bud\" ]",
                                   "x if input[concat(\"\", [\"a\"])]", "x if input[\"a\\u0062\"]", "x := {input: 1}",
                                   "x := [input]", "x := input\n.budgets", "x := input .budgets", "x if input.",
                                   "x := input.1")) {
            assertSame(InputFields.EVERY, of("package p\n" + body + "\n"), body);
        }
        assertSame(InputFields.EVERY, of("package p\nimport input\nx if input.request\n"));
        assertSame(InputFields.EVERY, of("package p\nx := input"), "at the very end of the source");
    }

    @Test
    void commentsStringsKeysAndLongerNamesAreNotReferences() {
        assertEquals(only("request"), of("""
                package p
                # the input document is read whole by nobody: input[k]
                msg := "input is fine; input[k] \\" input"
                raw := `input
                  input[k]`
                y := data.config.input
                z := data.config.input.include_text
                my_input := 1
                inputs := 2
                x if input.request
                """));
    }

    @Test
    void allFieldsKeptIsEveryAndNoSourcesIsEvery() {
        assertSame(InputFields.EVERY, of("package p\nx if { input.request; input.findings; input.subject; "
                                         + "input.estimate; input.budgets; input.time }"));
        assertSame(InputFields.EVERY, InputFields.readBy(List.of(), NO_WASM, PolicyInput.TOP_LEVEL_FIELDS),
                   "a module without its sources may read anything");
    }

    @Test
    void aFieldNamedInTheModuleIsKeptEvenWhenTheSourcesDoNotReadIt() {
        byte[] wasm = "\0\0opa_runtime_error\0budgets\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(only("request", "budgets"), InputFields.readBy(List.of("package p\nx if input.request\n"), wasm,
                                                                     PolicyInput.TOP_LEVEL_FIELDS));
    }

    @Test
    void theDocumentForAPolicyHoldsExactlyTheFieldsItReads() throws Exception {
        PolicyInput input = PolicyFixtures.exampleInput();
        JsonNode whole = JSON.readTree(input.json(false));
        for (InputFields fields : List.of(only("request"), only("time"), only("budgets", "request"),
                                          only("findings", "estimate", "time"), only())) {
            ObjectNode expected = whole.deepCopy();
            expected.retain(PolicyInput.TOP_LEVEL_FIELDS.stream().filter(fields::includes).toList());
            byte[] bytes = input.jsonFor(false, fields);
            assertEquals(expected, JSON.readTree(bytes), fields.toString());
        }
        assertArrayEquals(input.json(true).getBytes(StandardCharsets.UTF_8), input.jsonFor(true, InputFields.EVERY));
        assertEquals(JSON.readTree(input.json(true)).get("request"),
                     JSON.readTree(input.jsonFor(true, only("request"))).get("request"), "with the prompt text");
        assertEquals(List.copyOf(PolicyInput.TOP_LEVEL_FIELDS), iterableToList(whole.fieldNames()),
                     "the document writes the fields the list names, in its order");
    }

    private static List<String> iterableToList(java.util.Iterator<String> names) {
        List<String> out = new ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
