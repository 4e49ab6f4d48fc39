package io.llmsidecar.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.Usage;

import java.io.IOException;
import java.util.Optional;

/** Reads what the sidecar needs from a non-streamed chat-completion response body. */
final class CompletionBodies {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = MAPPER.getFactory();

    private CompletionBodies() {
    }

    /** The top-level {@code usage} block; one streaming pass that skips everything else. */
    static Optional<Usage> usage(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    return Optional.of(Usage.read(p));
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The generated text (message contents and tool-call arguments), for counting when usage is missing. */
    static String generatedText(byte[] body) {
        StringBuilder text = new StringBuilder();
        try {
            JsonNode root = MAPPER.readTree(body);
            for (JsonNode choice : root.path("choices")) {
                JsonNode message = choice.path("message");
                append(text, message.get("content"));
                append(text, message.get("reasoning_content"));
                append(text, message.get("refusal"));
                for (JsonNode call : message.path("tool_calls")) {
                    append(text, call.path("function").get("name"));
                    append(text, call.path("function").get("arguments"));
                }
            }
        } catch (IOException | RuntimeException e) {
            return text.toString();
        }
        return text.toString();
    }

    private static void append(StringBuilder text, JsonNode node) {
        if (node != null && node.isTextual()) {
            text.append(node.asText());
        }
    }
}
