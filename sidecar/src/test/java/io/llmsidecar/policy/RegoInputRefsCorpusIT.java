package io.llmsidecar.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.testing.GoEnv;
import io.llmsidecar.testing.Project;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RegoInputRefs} against Rego nobody wrote to fool it: every {@code .rego} file of OPA's own sources that
 * mentions {@code input} (test data, formatter cases, examples), compared with what OPA's parser says those files
 * reference ({@code opa parse --format json}). The lexer may keep more fields than the parser finds, never fewer:
 * a field it leaves out must be one no reference of the file can reach.
 */
class RegoInputRefsCorpusIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a file reads: null for the whole document. */
    private record Reads(Set<String> fields) {
    }

    @Test
    void neverMissesAReferenceThatOpasParserFindsInOpasOwnRegoFiles() throws Exception {
        List<Path> files = new ArrayList<>();
        for (Path module : opaModules()) {
            try (var walk = Files.walk(module)) {
                walk.filter(p -> p.toString().endsWith(".rego")).forEach(files::add);
            }
        }
        int parsed = 0;
        int withInput = 0;
        int exact = 0;
        TreeMap<String, String> missed = new TreeMap<>();
        for (Path file : files) {
            String source = Files.readString(file, StandardCharsets.ISO_8859_1);
            if (!source.contains("input")) {
                continue;
            }
            JsonNode ast = parse(file);
            if (ast == null) {
                continue;
            }
            parsed++;
            Set<String> truth = new LinkedHashSet<>();
            boolean whole = !collect(ast, truth);
            Set<String> ours = new LinkedHashSet<>();
            boolean oursWhole = !RegoInputRefs.collect(source, ours);
            if (whole || !truth.isEmpty()) {
                withInput++;
            }
            if (whole ? !oursWhole : !(oursWhole || ours.containsAll(truth))) {
                missed.put(file.toString(), "parser " + (whole ? "whole document" : truth) + ", lexer "
                                            + (oursWhole ? "whole document" : ours));
            } else if (whole == oursWhole && (whole || ours.equals(truth))) {
                exact++;
            }
        }
        System.out.printf("RegoInputRefsCorpusIT: %d files parsed by opa, %d reading input, %d read exactly as the "
                          + "parser reads them%n", parsed, withInput, exact);
        assertEquals(new TreeMap<String, String>(), missed, "references the lexer missed");
        assertTrue(parsed >= 40 && withInput >= 30, "expected OPA's Rego files: parsed " + parsed + ", reading input "
                                                    + withInput);
        assertTrue(exact * 10 >= withInput * 7, "the lexer kept every field for too many files: exact " + exact
                                                + " of " + withInput);
    }

    /** The fields {@code node} references under {@code input}, or false when it uses the whole document. */
    private static boolean collect(JsonNode node, Set<String> into) {
        if (node.isArray()) {
            for (JsonNode child : node) {
                if (!collect(child, into)) {
                    return false;
                }
            }
            return true;
        }
        if (!node.isObject()) {
            return true;
        }
        String type = node.path("type").asText("");
        JsonNode value = node.get("value");
        if (type.equals("ref") && value != null && value.isArray() && value.size() > 0 && isInput(value.get(0))) {
            JsonNode key = value.size() > 1 ? value.get(1) : null;
            if (key == null || !key.path("type").asText().equals("string")) {
                return false;
            }
            into.add(key.path("value").asText());
            for (int i = 1; i < value.size(); i++) {
                if (!collect(value.get(i), into)) {
                    return false;
                }
            }
            return true;
        }
        if (isInput(node)) {
            return false;
        }
        for (var field : node.properties()) {
            if (!collect(field.getValue(), into)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isInput(JsonNode term) {
        return term.path("type").asText().equals("var") && term.path("value").asText().equals("input");
    }

    /** OPA's AST of {@code file} (Rego v1, else v0), or null when neither parses it (a deliberately broken case). */
    private static JsonNode parse(Path file) throws IOException, InterruptedException {
        for (List<String> flags : List.of(List.<String>of(), List.of("--v0-compatible"))) {
            List<String> command = new ArrayList<>(List.of(Project.root().resolve("scripts/opa.sh").toString(),
                                                           "parse", "--format", "json"));
            command.addAll(flags);
            command.add(file.toString());
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (p.waitFor() == 0) {
                return JSON.readTree(out);
            }
        }
        return null;
    }

    /** OPA's module sources in Go's module cache, where {@code scripts/setup.sh test} put them by building opa. */
    private static List<Path> opaModules() throws IOException {
        Path owner = GoEnv.path("GOMODCACHE").resolve("github.com").resolve("open-policy-agent");
        List<Path> modules = new ArrayList<>();
        if (Files.isDirectory(owner)) {
            try (var list = Files.list(owner)) {
                list.filter(p -> p.getFileName().toString().startsWith("opa@v")).forEach(modules::add);
            }
        }
        assertFalse(modules.isEmpty(), "no OPA module sources under " + owner + ": scripts/setup.sh builds opa from "
                                       + "them (go install github.com/open-policy-agent/opa@...)");
        return modules;
    }
}
