package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Writes the body the gateway receives. The caller's bytes are reused unless a patch changed the request, a
 * completion limit must be added or a stream needs {@code stream_options.include_usage}; then the parsed tree is
 * written once, with those fields overridden on the way rather than by copying the tree. Because the tree came
 * from a strict parse (no duplicate keys, nothing trailing), what is written is exactly what was checked.
 */
public final class OutgoingBody {
    private OutgoingBody() {
    }

    /**
     * @param completionLimit a limit to write into the request's {@link ApiRequest#limitField()}, when the caller
     *                        set none
     * @param includeUsage    whether to set {@code stream_options.include_usage}
     */
    public static byte[] write(ApiRequest request, OptionalInt completionLimit, boolean includeUsage) {
        String limitField = request.limitField().orElse(null);
        boolean addLimit = completionLimit.isPresent() && limitField != null;
        if (!request.rewritten() && !addLimit && !includeUsage) {
            return request.raw();
        }
        ObjectNode json = request.json();
        var out = new ByteArrayOutputStream(request.rawSize() + 64);
        try (JsonGenerator g = StrictJson.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            boolean wroteOptions = false;
            boolean wroteLimit = false;
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                var field = it.next();
                String name = field.getKey();
                if (includeUsage && name.equals("stream_options")) {
                    writeStreamOptions(g, field.getValue());
                    wroteOptions = true;
                } else if (addLimit && name.equals(limitField)) {
                    g.writeNumberField(name, completionLimit.getAsInt());
                    wroteLimit = true;
                } else {
                    g.writeFieldName(name);
                    g.writeTree(field.getValue());
                }
            }
            if (includeUsage && !wroteOptions) {
                writeStreamOptions(g, null);
            }
            if (addLimit && !wroteLimit) {
                g.writeNumberField(limitField, completionLimit.getAsInt());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeStreamOptions(JsonGenerator g, JsonNode existing) throws IOException {
        g.writeObjectFieldStart("stream_options");
        if (existing instanceof ObjectNode options) {
            for (var it = options.fields(); it.hasNext(); ) {
                var f = it.next();
                if (!f.getKey().equals("include_usage")) {
                    g.writeFieldName(f.getKey());
                    g.writeTree(f.getValue());
                }
            }
        }
        g.writeBooleanField("include_usage", true);
        g.writeEndObject();
    }
}
