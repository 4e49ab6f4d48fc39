package io.llmsidecar.inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.stream.StreamSupport;

/**
 * AdmissionReview fixtures from {@code src/test/resources/inject} and what tests do with the answers: decode the
 * base64 patch and apply it with a real RFC 6902 implementation (Parsson), not with the injector's own code.
 */
final class Reviews {
    static final ObjectMapper JSON = new ObjectMapper();

    private Reviews() {
    }

    static byte[] bytes(String fixture) {
        try (InputStream in = Reviews.class.getResourceAsStream("/inject/" + fixture)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture inject/" + fixture);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode review(String fixture) {
        return (ObjectNode) read(bytes(fixture));
    }

    static ObjectNode withAnnotation(ObjectNode review, String key, String value) {
        ObjectNode copy = review.deepCopy();
        ObjectNode metadata = (ObjectNode) copy.path("request").path("object").path("metadata");
        metadata.withObject("annotations").put(key, value);
        return copy;
    }

    /** The same review carrying {@code pod} as its object, as the API server sends it on reinvocation. */
    static ObjectNode withPod(ObjectNode review, JsonNode pod) {
        ObjectNode copy = review.deepCopy();
        ((ObjectNode) copy.path("request")).set("object", pod.deepCopy());
        return copy;
    }

    static byte[] toBytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static JsonNode read(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The decoded JSON patch of an answer, if it has one. */
    static Optional<String> patch(JsonNode answer) {
        JsonNode response = answer.path("response");
        if (!response.has("patch")) {
            return Optional.empty();
        }
        if (!"JSONPatch".equals(response.path("patchType").asText())) {
            throw new AssertionError("patch without patchType JSONPatch: " + response);
        }
        return Optional.of(new String(Base64.getDecoder().decode(response.path("patch").asText()),
                                      StandardCharsets.UTF_8));
    }

    /** Applies an RFC 6902 patch to the review's pod; throws when any operation does not apply. */
    static JsonNode apply(ObjectNode review, String patch) {
        JsonObject pod;
        JsonArray operations;
        try (JsonReader podReader = Json.createReader(new StringReader(review.path("request").path("object").toString()));
             JsonReader patchReader = Json.createReader(new StringReader(patch))) {
            pod = podReader.readObject();
            operations = patchReader.readArray();
        }
        JsonObject patched = Json.createPatch(operations).apply(pod);
        return read(patched.toString().getBytes(StandardCharsets.UTF_8));
    }

    static JsonNode container(JsonNode containers, String name) {
        return StreamSupport.stream(containers.spliterator(), false)
                .filter(c -> c.path("name").asText().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " in " + containers));
    }

    static Optional<String> env(JsonNode container, String name) {
        return StreamSupport.stream(container.path("env").spliterator(), false)
                .filter(e -> e.path("name").asText().equals(name))
                .findFirst()
                .map(e -> e.has("value") ? e.path("value").asText()
                        : "fieldRef:" + e.path("valueFrom").path("fieldRef").path("fieldPath").asText());
    }
}
