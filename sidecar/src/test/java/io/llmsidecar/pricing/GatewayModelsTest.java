package io.llmsidecar.pricing;

import io.llmsidecar.openai.Usage;
import io.llmsidecar.testing.StubUpstream;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayModelsTest {
    @Test
    void parsesTheGatewaysDocumentedExampleIncludingItsTrailingComma() {
        Map<String, ModelPrice> prices = GatewayModels.parse(bytes(StubUpstream.cassette("models.json")));

        ModelPrice opus = prices.get("anthropic/claude-opus");
        assertEquals(15_000_000, opus.inputPico(), "15 USD per million tokens is 15e6 pico-USD per token");
        assertEquals(75_000_000, opus.outputPico());
        assertEquals(1_500_000, opus.cacheReadPico());
        assertEquals(32000, opus.maxTokens());
        assertEquals(200000, opus.contextWindow());
    }

    @Test
    void pricesTheSeedsExampleResponseExactly() {
        ModelPrice opus = GatewayModels.parse(bytes(StubUpstream.cassette("models.json"))).get("anthropic/claude-opus");
        // 15 prompt tokens at $15/M + 245 completion tokens at $75/M = $0.000225 + $0.018375
        assertEquals(18_600_000, opus.costNanos(new Usage(15, 245, 0, Usage.Source.GATEWAY)));
        // 10 of 15 prompt tokens cached at $1.50/M
        assertEquals(75_000 + 15_000 + 18_375_000, opus.costNanos(new Usage(15, 245, 10, Usage.Source.GATEWAY)));
    }

    @Test
    void acceptsNumbersAsWellAsStringsAndSkipsUnpricedModels() {
        Map<String, ModelPrice> prices = GatewayModels.parse(bytes(
                "{\"a\":{\"inputTokenPrice\":0.15,\"outputTokenPrice\":\"0.6\"},\"free-text\":{\"maxTokens\":\"10\"},"
                + "\"weird\":\"not an object\"}"));
        assertEquals(Map.of("a", new ModelPrice(150_000, 600_000, -1, 0, 0)), prices);
    }

    @Test
    void explainsAnOpenAiModelListWithoutPrices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewayModels.parse(bytes(StubUpstream.cassette("openai-models-list.json"))));
        assertTrue(e.getMessage().contains("models-url"), e.getMessage());
    }

    @Test
    void rejectsSomethingThatIsNotJson() {
        assertThrows(IllegalArgumentException.class, () -> GatewayModels.parse(bytes("<html>")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
