package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Optional;

/**
 * Finds the top-level {@code usage} object of a whole answer, where every governed API puts it, in one streaming pass
 * that skips everything else; the API's own reader reads the object, since the APIs count differently.
 */
final class AnswerUsage {
    private static final JsonFactory JSON = new JsonFactory();

    /** Reads a {@code usage} object; the parser stands on its {@code START_OBJECT}. */
    interface Reader {
        Usage read(JsonParser p) throws IOException;
    }

    private AnswerUsage() {
    }

    static Optional<Usage> find(byte[] answer, Reader reader) {
        try (JsonParser p = JSON.createParser(answer)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    return Optional.of(reader.read(p));
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
