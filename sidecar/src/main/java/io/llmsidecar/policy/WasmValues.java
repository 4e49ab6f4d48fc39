package io.llmsidecar.policy;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * Moves values between the JVM and an OPA module's heap ({@code opa_value} in OPA's Wasm runtime). Scalars, the
 * common and largest builtin arguments (prompt text), are read straight from memory with the layouts of OPA's
 * {@code value.h} (wasm32); collections go through {@code opa_json_dump}. Results are written as JSON (or Rego
 * text, for sets) and parsed inside the module.
 */
final class WasmValues {
    /** Reads numbers as their exact text ("2.0" stays a float), which Go's sprintf and OPA tell apart. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    // opa_value type tags and number representations, from value.h in OPA's Wasm runtime.
    private static final byte OPA_NULL = 1;
    private static final byte OPA_BOOLEAN = 2;
    private static final byte OPA_NUMBER = 3;
    private static final byte OPA_STRING = 4;
    private static final byte OPA_STRING_INTERNED = 8;
    private static final byte OPA_BOOLEAN_INTERNED = 9;
    private static final byte OPA_NUMBER_REPR_INT = 1;
    private static final byte OPA_NUMBER_REPR_REF = 2;

    private final Memory memory;
    private final ExportFunction malloc;
    private final ExportFunction free;
    private final ExportFunction jsonParse;
    private final ExportFunction valueParse;
    private final ExportFunction jsonDump;

    WasmValues(Instance instance, Memory memory) {
        this.memory = memory;
        this.malloc = instance.export("opa_malloc");
        this.free = instance.export("opa_free");
        this.jsonParse = instance.export("opa_json_parse");
        this.valueParse = instance.export("opa_value_parse");
        this.jsonDump = instance.export("opa_json_dump");
    }

    /** The value at {@code address}; sets come back as arrays. */
    JsonNode read(int address) {
        switch (memory.read(address)) {
            case OPA_NULL -> {
                return NullNode.instance;
            }
            case OPA_BOOLEAN, OPA_BOOLEAN_INTERNED -> {
                return BooleanNode.valueOf(memory.read(address + 1) != 0);
            }
            case OPA_STRING, OPA_STRING_INTERNED -> {
                // {u8 type; u8 free; u32 len; char *v}
                int length = memory.readInt(address + 4);
                return TextNode.valueOf(memory.readString(memory.readInt(address + 8), length,
                                                          StandardCharsets.UTF_8));
            }
            case OPA_NUMBER -> {
                // {u8 type; u8 repr; union {i64 i; double f; struct {char *s; u32 len} ref}} at offset 8
                byte repr = memory.read(address + 1);
                if (repr == OPA_NUMBER_REPR_INT) {
                    return LongNode.valueOf(memory.readLong(address + 8));
                }
                if (repr == OPA_NUMBER_REPR_REF) {
                    String text = memory.readString(memory.readInt(address + 8), memory.readInt(address + 12),
                                                    StandardCharsets.US_ASCII);
                    return DecimalNode.valueOf(new BigDecimal(text));
                }
            }
            default -> {
                // Floats, arrays, objects, sets: below.
            }
        }
        try {
            return JSON.readTree(dumpJson(address));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the policy passed a value that is not JSON", e);
        }
    }

    /** Writes a JSON value into the heap; {@code asSet} turns an array into a Rego set. */
    int write(JsonNode value, boolean asSet) {
        try {
            if (asSet) {
                return parse(valueParse, regoSet(value).getBytes(StandardCharsets.UTF_8));
            }
            return parseJson(JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a builtin result is not serialisable", e);
        }
    }

    /** {@code opa_json_parse} of a JSON text copied into the heap: the parsed value's address. */
    int parseJson(byte[] json) {
        return parse(jsonParse, json);
    }

    /** {@code opa_json_dump}: the value at {@code address} as JSON text. */
    String dumpJson(int address) {
        return readCString((int) jsonDump.apply(address)[0]);
    }

    /** A NUL-terminated UTF-8 string in the heap. */
    String readCString(int address) {
        int end = address;
        while (memory.read(end) != 0) {
            end++;
        }
        return memory.readString(address, end - address, StandardCharsets.UTF_8);
    }

    private int parse(ExportFunction parser, byte[] text) {
        int buffer = (int) malloc.apply(text.length)[0];
        memory.write(buffer, text);
        int value = (int) parser.apply(buffer, text.length)[0];
        free.apply(buffer);
        if (value == 0) {
            throw new IllegalStateException("the module could not parse a value of " + text.length + " bytes");
        }
        return value;
    }

    /** Rego's set syntax, which {@code opa_value_parse} reads and JSON lacks. */
    private static String regoSet(JsonNode elements) throws JsonProcessingException {
        if (elements.isEmpty()) {
            return "set()";
        }
        StringBuilder b = new StringBuilder("{");
        for (JsonNode e : elements) {
            b.append(b.length() > 1 ? "," : "").append(JSON.writeValueAsString(e));
        }
        return b.append('}').toString();
    }
}
