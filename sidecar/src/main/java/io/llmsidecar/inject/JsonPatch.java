package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * RFC 6902 operations against the pod as the API server sent it, in the order they apply: an operation's path must
 * be valid after the ones before it (an insertion at {@code /spec/initContainers/0} shifts every later index).
 */
final class JsonPatch {
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;
    private final ArrayNode operations = nodes.arrayNode();

    /** Appends to a list, creating the list when the pod has none. */
    void append(boolean listExists, String list, JsonNode item) {
        add(listExists, list, "/-", item);
    }

    /** Inserts at the head of a list, creating the list when the pod has none. */
    void prepend(boolean listExists, String list, JsonNode item) {
        add(listExists, list, "/0", item);
    }

    /** Sets one entry of a string map, creating the map when the pod has none. */
    void put(boolean mapExists, String map, String key, String value) {
        if (mapExists) {
            op(map + "/" + escape(key), nodes.textNode(value));
        } else {
            op(map, nodes.objectNode().put(key, value));
        }
    }

    /** Sets a member of an existing object; {@code add} replaces a member that is there and creates one that is not. */
    void set(String path, String value) {
        op(path, nodes.textNode(value));
    }

    ArrayNode operations() {
        return operations;
    }

    /** RFC 6901: '~' and '/' inside a key, as in every {@code llm-sidecar.io/...} annotation. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private void add(boolean listExists, String list, String position, JsonNode item) {
        if (listExists) {
            op(list + position, item);
        } else {
            op(list, nodes.arrayNode().add(item));
        }
    }

    private void op(String path, JsonNode value) {
        operations.addObject().put("op", "add").put("path", path).set("value", value);
    }
}
