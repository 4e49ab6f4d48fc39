package io.llmsidecar.pricing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the gateway's {@code GET /models} pricing map:
 * {@code {"<model>": {"inputTokenPrice": "15.000000", "outputTokenPrice": "75.000000", "cacheReadPrice": "1.5",
 * "cacheWritePrice": "18.75",
 * "maxTokens": "32000", "contextWindow": "200000", ...}}}, prices in USD per million tokens, given as strings
 * (numbers are accepted too). Models without both an input and an output price are left out: they stay unpriced.
 */
public final class GatewayModels {
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            // The gateway's own documentation shows a trailing comma; accepting it costs nothing.
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .build());

    private GatewayModels() {
    }

    /** The parsed prices; throws {@link IllegalArgumentException} with a readable reason when the shape is wrong. */
    public static Map<String, ModelPrice> parse(byte[] body) {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the models response is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("the models response could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the models response is not a JSON object of model name to pricing");
        }
        if (root.has("data") && root.get("data").isArray()) {
            throw new IllegalArgumentException("the models response is an OpenAI model list without prices; point "
                                               + "upstream.models-url at the gateway's pricing map (GET /models)");
        }
        Map<String, ModelPrice> prices = new LinkedHashMap<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var entry = it.next();
            JsonNode model = entry.getValue();
            if (!model.isObject()) {
                continue;
            }
            BigDecimal input = decimal(model.get("inputTokenPrice"));
            BigDecimal output = decimal(model.get("outputTokenPrice"));
            if (input == null || output == null || input.signum() < 0 || output.signum() < 0) {
                continue;
            }
            prices.put(entry.getKey(), new ModelPrice(
                    Usd.picoPerTokenFromPerMillion(input),
                    Usd.picoPerTokenFromPerMillion(output),
                    optionalPrice(model.get("cacheReadPrice")),
                    optionalPrice(model.get("cacheWritePrice")),
                    integer(model.get("maxTokens")),
                    integer(model.get("contextWindow"))));
        }
        return prices;
    }

    /** A price in pico-USD per token, or -1 when absent or negative (then the input price applies). */
    private static long optionalPrice(JsonNode node) {
        BigDecimal price = decimal(node);
        return price == null || price.signum() < 0 ? -1 : Usd.picoPerTokenFromPerMillion(price);
    }

    private static BigDecimal decimal(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return node.isNumber() ? node.decimalValue() : new BigDecimal(node.asText().strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int integer(JsonNode node) {
        BigDecimal value = decimal(node);
        if (value == null || value.signum() < 0) {
            return 0;
        }
        try {
            return value.intValueExact();
        } catch (ArithmeticException e) {
            return 0;
        }
    }
}
