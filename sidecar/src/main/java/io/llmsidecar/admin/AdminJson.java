package io.llmsidecar.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Answers an admin API call with a JSON document written by the caller: compact (pipe it through {@code jq} to read
 * it), money as plain decimals ({@code 0.00014925}, never {@code 1.4925E-4}).
 */
public final class AdminJson {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    /** Writes the body of one answer. */
    @FunctionalInterface
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private AdminJson() {
    }

    public static void send(ServerResponse res, Body body) {
        byte[] json = bytes(body);
        res.headers().set(HeaderValues.CONTENT_TYPE_JSON);
        res.send(json);
    }

    /** The same document as text, for tools that print what the admin API would answer (the budgets CLI). */
    public static String text(Body body) {
        return new String(bytes(body), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(Body body) {
        var out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
