package io.llmsidecar.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.util.Map;

import static io.llmsidecar.rego.Operands.string;

/** {@code object.keys} (left to the host by some {@code opa} versions), {@code json.is_valid} and {@code yaml.*}. */
final class DocumentBuiltins {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final YAMLMapper yaml = new YAMLMapper();

    void register(Map<String, Builtin> table) {
        table.put("object.keys", new Builtin() {
            @Override
            public JsonNode apply(Evaluation evaluation, JsonNode... args) {
                if (!args[0].isObject()) {
                    throw new IllegalArgumentException("operand must be an object");
                }
                ArrayNode keys = NODES.arrayNode(args[0].size());
                args[0].fieldNames().forEachRemaining(keys::add);
                return keys;
            }

            @Override
            public boolean returnsSet() {
                return true;
            }
        });
        table.put("json.is_valid", (e, a) -> BooleanNode.valueOf(parses(JSON, a[0])));
        table.put("yaml.is_valid", (e, a) -> BooleanNode.valueOf(parses(yaml, a[0])));
        table.put("yaml.unmarshal", (e, a) -> read(string(a[0])));
        table.put("yaml.marshal", (e, a) -> TextNode.valueOf(write(a[0])));
    }

    private static boolean parses(ObjectMapper mapper, JsonNode text) {
        if (!text.isTextual()) {
            return false;
        }
        try {
            mapper.readTree(text.asText());
            return true;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    private JsonNode read(String text) {
        try {
            return yaml.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not YAML: " + e.getOriginalMessage());
        }
    }

    private String write(JsonNode value) {
        try {
            return yaml.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
    }
}
