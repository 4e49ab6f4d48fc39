package io.llmsidecar.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.Usage;

import java.io.IOException;
import java.util.Optional;

/** Reads what the sidecar needs from a non-streamed answer of any governed API. */
final class ResponseBodies {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = MAPPER.getFactory();

    private ResponseBodies() {
    }

    /** What a gateway's body is, read to its end once before the app sees any of it. */
    enum Shape {
        /** One complete JSON object: an answer, or an error in the OpenAI shape. */
        JSON_OBJECT,
        /** Complete JSON that is not an object (an array, a string): relayed for errors, no answer on success. */
        OTHER_JSON,
        /** A JSON object or array that ends before it closes: the connection broke off mid-body. */
        CUT_OFF,
        /** Not JSON at all (an HTML page, plain text) or empty. */
        NOT_JSON
    }

    /** One streaming pass over the body; nothing is kept. */
    static Shape shape(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return Shape.NOT_JSON;
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                return Shape.NOT_JSON;
            }
            return first == JsonToken.START_OBJECT ? Shape.JSON_OBJECT : Shape.OTHER_JSON;
        } catch (com.fasterxml.jackson.core.io.JsonEOFException e) {
            return opensStructure(body) ? Shape.CUT_OFF : Shape.NOT_JSON;
        } catch (IOException | RuntimeException e) {
            return Shape.NOT_JSON;
        }
    }

    private static boolean opensStructure(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{' || b == '[';
            }
        }
        return false;
    }

    /**
     * The top-level {@code usage} block, the same place in every API: {@code prompt_tokens} /
     * {@code completion_tokens} (chat, completions, embeddings without completion) or {@code input_tokens} /
     * {@code output_tokens} (responses). One streaming pass that skips everything else.
     */
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

    /** The generated text, for counting when usage is missing; empty for embeddings. */
    static String generatedText(Api api, byte[] body) {
        StringBuilder text = new StringBuilder();
        try {
            JsonNode root = MAPPER.readTree(body);
            switch (api) {
                case CHAT_COMPLETIONS -> {
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
                }
                case COMPLETIONS -> {
                    for (JsonNode choice : root.path("choices")) {
                        append(text, choice.get("text"));
                    }
                }
                case RESPONSES -> {
                    for (JsonNode item : root.path("output")) {
                        for (JsonNode part : item.path("content")) {
                            append(text, part.get("text"));
                            append(text, part.get("refusal"));
                        }
                        append(text, item.get("arguments"));
                        for (JsonNode part : item.path("summary")) {
                            append(text, part.get("text"));
                        }
                    }
                }
                case EMBEDDINGS -> {
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
