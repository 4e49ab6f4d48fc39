package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;

/**
 * A whole answer as a tree, for the rare case that needs its generated text (the gateway reported no usage); a body
 * that does not parse reads as empty.
 */
final class AnswerTree {
    /** Lenient, unlike the request reader: an answer is relayed as the gateway sent it, whatever it holds. */
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private AnswerTree() {
    }

    static JsonNode read(byte[] answer) {
        try {
            JsonNode root = MAPPER.readTree(answer);
            return root == null ? MissingNode.getInstance() : root;
        } catch (IOException | RuntimeException e) {
            return MissingNode.getInstance();
        }
    }

    static void append(StringBuilder text, JsonNode node) {
        if (node != null && node.isTextual()) {
            text.append(node.textValue());
        }
    }
}
