package io.llmsidecar.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * What shape a non-streamed answer of any governed API has; its usage and text are read by the API's
 * {@link io.llmsidecar.openai.Dialect}.
 */
final class ResponseBodies {
    private static final JsonFactory JSON = new JsonFactory();

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
}
