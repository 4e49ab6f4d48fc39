package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Writes the server-sent events the sidecar adds to a stream itself: one JSON object per event. */
final class SseEvent {
    private static final JsonFactory JSON = new JsonFactory();

    /** The members of the event's JSON object, written between its braces. */
    interface Members {
        void write(JsonGenerator g) throws IOException;
    }

    private SseEvent() {
    }

    /**
     * Appends {@code event: <name>} (when {@code name} is not {@code null}), {@code data: {<members>}} and the blank
     * line that ends the event.
     */
    static void write(ByteArrayOutputStream out, String name, Members members) {
        if (name != null) {
            out.writeBytes(("event: " + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            members.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
    }
}
