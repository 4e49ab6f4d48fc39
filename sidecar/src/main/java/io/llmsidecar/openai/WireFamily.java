package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The two families of wire format the sidecar speaks, and what differs between them for every API of the family:
 * where the gateway serves them, and the shape of the errors the sidecar writes itself. An SDK raises its typed
 * exceptions only for errors in its own family's shape.
 */
public enum WireFamily {
    /** OpenAI's APIs: {@code {"error":{"message","type","param","code"}}}, errors mid-stream as a data event. */
    OPENAI,
    /**
     * Anthropic's Messages API: {@code {"type":"error","error":{"type","message"},"request_id"}}, with the request id
     * in a {@code request-id} header too (the SDKs show it on their exceptions), and an {@code error} event
     * mid-stream. The sidecar's own {@code code} (and list fields such as a denial's {@code reasons}) ride along
     * inside {@code error}, where the SDKs ignore them and apps can still branch on them.
     */
    ANTHROPIC;

    /** Anthropic's header for the request id, which its SDKs read. */
    public static final String ANTHROPIC_REQUEST_ID = "request-id";

    private static final JsonFactory JSON = new JsonFactory();

    /** The body of an error the sidecar answers itself. */
    public byte[] errorBody(SidecarException e, String requestId) {
        return switch (this) {
            case OPENAI -> ErrorBody.of(e);
            case ANTHROPIC -> anthropic(e, requestId);
        };
    }

    /** The event that tells an app, after the stream's headers went out, that its stream failed. */
    public byte[] streamErrorEvent(SidecarException e, String requestId) {
        var out = new ByteArrayOutputStream(256);
        out.writeBytes((this == ANTHROPIC ? "event: error\ndata: " : "data: ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(errorBody(e, requestId));
        out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Anthropic's error {@code type} for a status, as its API answers it. */
    static String anthropicType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    private static byte[] anthropic(SidecarException e, String requestId) {
        var out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "error");
            g.writeObjectFieldStart("error");
            g.writeStringField("type", anthropicType(e.status()));
            g.writeStringField("message", e.getMessage());
            g.writeStringField("code", e.code());
            if (e.param().isPresent()) {
                g.writeStringField("param", e.param().get());
            }
            for (Map.Entry<String, List<String>> field : e.listFields().entrySet()) {
                g.writeArrayFieldStart(field.getKey());
                for (String value : field.getValue()) {
                    g.writeString(value);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            if (requestId != null) {
                g.writeStringField("request_id", requestId);
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
