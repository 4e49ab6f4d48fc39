package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import static io.llmsidecar.rego.Operands.string;

/** {@code sprintf}, string search and digests: the string builtins OPA's Wasm compiler leaves to the host. */
final class TextBuiltins {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TextBuiltins() {
    }

    static void register(Map<String, Builtin> table) {
        table.put("sprintf", (e, a) -> TextNode.valueOf(GoSprintf.format(string(a[0]), a[1])));
        table.put("strings.count", (e, a) -> LongNode.valueOf(countOf(string(a[0]), string(a[1]))));
        table.put("indexof_n", (e, a) -> indicesOf(string(a[0]), string(a[1])));
        table.put("crypto.sha256", (e, a) -> TextNode.valueOf(digest("SHA-256", string(a[0]))));
        table.put("crypto.sha1", (e, a) -> TextNode.valueOf(digest("SHA-1", string(a[0]))));
        table.put("crypto.md5", (e, a) -> TextNode.valueOf(digest("MD5", string(a[0]))));
    }

    /** Non-overlapping occurrences, as Go's {@code strings.Count}; an empty substring counts characters + 1. */
    static long countOf(String text, String search) {
        if (search.isEmpty()) {
            return text.codePointCount(0, text.length()) + 1L;
        }
        long count = 0;
        for (int i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + search.length())) {
            count++;
        }
        return count;
    }

    /** Every (possibly overlapping) occurrence, as code point indices like OPA's {@code indexof}. */
    static ArrayNode indicesOf(String text, String search) {
        if (search.isEmpty()) {
            throw new IllegalArgumentException("empty search string");   // undefined, as in OPA
        }
        ArrayNode out = NODES.arrayNode();
        int counted = 0;
        int codePoints = 0;
        for (int i = text.indexOf(search); i >= 0; i = text.indexOf(search, i + 1)) {
            codePoints += text.codePointCount(counted, i);             // incremental: linear in the text
            counted = i;
            out.add(codePoints);
        }
        return out;
    }

    private static String digest(String algorithm, String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm)
                                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }
}
