package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one JSON reader for request bodies. It refuses what two parsers could read differently: a key repeated in
 * any object (the sidecar would check one value and forward bytes carrying both, and the gateway may read the
 * other), and anything after the JSON value. Deep nesting is refused before it costs stack.
 */
final class StrictJson {
    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern DUPLICATE = Pattern.compile("^Duplicate field '(.*)'$", Pattern.DOTALL);

    private StrictJson() {
    }

    /** The body as a JSON object; 400 {@code invalid_json} / {@code invalid_type} otherwise. */
    static ObjectNode object(byte[] body, String expected) {
        requireUtf8(body);
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonParseException e) {
            Matcher duplicate = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
            if (duplicate.matches()) {
                String key = duplicate.group(1);
                throw SidecarException.invalidRequest("invalid_json", shortened(key),
                        "The request body repeats the key '" + shortened(key) + "' in one object. Send each key "
                        + "once: parsers disagree about which value counts.");
            }
            throw invalid(e);
        } catch (MismatchedInputException e) {
            if (String.valueOf(e.getOriginalMessage()).startsWith("Trailing token")) {
                throw SidecarException.invalidRequest("invalid_json", null,
                        "The request body has data after its JSON value. Send exactly one JSON object.");
            }
            throw invalid(e);
        } catch (JsonProcessingException e) {
            throw invalid(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || root.isMissingNode()) {
            throw SidecarException.invalidRequest("invalid_json", null,
                    "The request body is empty. Send a JSON object with " + expected + ".");
        }
        if (!(root instanceof ObjectNode object)) {
            throw SidecarException.invalidRequest("invalid_type", null,
                    "The request body must be a JSON object, not " + Fields.describe(root) + ".");
        }
        return object;
    }

    /**
     * Jackson detects UTF-16 and UTF-32 and skips a byte-order mark; the gateway may not. A JSON object in UTF-8
     * starts with '{' after optional whitespace, so any other first byte of those encodings is refused here.
     */
    private static void requireUtf8(byte[] body) {
        // Jackson tells the encoding from the first four bytes: a zero byte there means UTF-16 or UTF-32.
        for (int i = 0; i < Math.min(4, body.length); i++) {
            if (body[i] == 0) {
                throw notUtf8();
            }
        }
        for (byte b : body) {
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                continue;
            }
            if (b == (byte) 0xEF || b == (byte) 0xFE || b == (byte) 0xFF) {
                throw notUtf8();
            }
            return;
        }
    }

    private static SidecarException notUtf8() {
        return SidecarException.invalidRequest("invalid_json", null,
                "The request body must be JSON encoded as UTF-8, without a byte-order mark.");
    }

    private static SidecarException invalid(JsonProcessingException e) {
        return SidecarException.invalidRequest("invalid_json", null,
                "The request body is not valid JSON (" + e.getOriginalMessage() + ").");
    }

    /** Keys come from the caller: a long one is cut so an error cannot echo a whole prompt. */
    private static String shortened(String key) {
        return key.length() <= 64 ? key : key.substring(0, 64) + "...";
    }
}
