package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Serialises errors in the OpenAI shape {@code {"error":{"message","type","param","code"}}}. */
public final class ErrorBody {
    private static final JsonFactory JSON = new JsonFactory();

    private ErrorBody() {
    }

    public static byte[] of(SidecarException e) {
        return of(e.getMessage(), e.type(), e.param().orElse(null), e.code(), e.listFields());
    }

    public static byte[] of(String message, String type, String param, String code, Map<String, List<String>> lists) {
        var out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeStringField("param", param);
            g.writeStringField("code", code);
            for (var field : lists.entrySet()) {
                g.writeArrayFieldStart(field.getKey());
                for (String value : field.getValue()) {
                    g.writeString(value);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
