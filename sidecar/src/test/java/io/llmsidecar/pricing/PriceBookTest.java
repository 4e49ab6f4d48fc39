package io.llmsidecar.pricing;

import io.llmsidecar.openai.Usage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceBookTest {
    private static final ModelPrice MINI = new ModelPrice(150_000, 600_000, 75_000, 16384, 128000);
    private static final ModelPrice OPUS = new ModelPrice(15_000_000, 75_000_000, 1_500_000, 32000, 200000);

    @Test
    void findsModelsExactlyAndByTheirNameWithoutProvider() {
        PriceBook book = new PriceBook(Map.of("gpt-4o-mini", MINI, "anthropic/claude-opus", OPUS));
        assertEquals("gpt-4o-mini", book.find("gpt-4o-mini").orElseThrow().name());
        assertEquals("gpt-4o-mini", book.find("openai/gpt-4o-mini").orElseThrow().name());
        assertEquals("anthropic/claude-opus", book.find("claude-opus").orElseThrow().name());
        assertEquals("anthropic/claude-opus", book.find("Anthropic/Claude-Opus").orElseThrow().name());
        assertTrue(book.find("gpt-5").isEmpty());
    }

    @Test
    void refusesToGuessAnAmbiguousShortName() {
        PriceBook book = new PriceBook(Map.of("openai/gpt-x", MINI, "azure/gpt-x", OPUS));
        assertTrue(book.find("gpt-x").isEmpty());
        assertEquals("azure/gpt-x", book.find("azure/gpt-x").orElseThrow().name());
    }

    @Test
    void gatewayPricesOverrideTheStaticTableWhichStillFillsGaps() {
        PriceBook book = new PriceBook(Map.of("gpt-4o-mini", MINI, "anthropic/claude-opus", OPUS));
        ModelPrice cheaper = new ModelPrice(100_000, 400_000, -1, 0, 0);
        book.updateFromGateway(Map.of("gpt-4o-mini", cheaper), Instant.EPOCH);
        assertEquals(cheaper, book.find("gpt-4o-mini").orElseThrow().price());
        assertEquals(OPUS, book.find("anthropic/claude-opus").orElseThrow().price());
        assertEquals(Instant.EPOCH, book.gatewayUpdatedAt().orElseThrow());
    }

    @Test
    void costsAreExactInNanoUsd() {
        // 15 prompt tokens of gpt-4o-mini at $0.15/M is $0.00000225: exact in nano-USD, lost in micro-USD.
        assertEquals(2250, MINI.costNanos(new Usage(15, 0, 0, Usage.Source.GATEWAY)));
        assertEquals(2250 + 147_000, MINI.costNanos(new Usage(15, 245, 0, Usage.Source.GATEWAY)));
        assertEquals(Usd.picoPerTokenFromPerMillion(new BigDecimal("0.075000")), 75_000);
        assertEquals(new BigDecimal("0.00014925"), Usd.toDecimal(MINI.costNanos(new Usage(15, 245, 0,
                                                                                          Usage.Source.GATEWAY))
                                                                 + 0));
    }

    @Test
    void theMostARequestCanCostAssumesNoCacheAndEveryAllowedToken() {
        assertEquals(Usd.picoToNanos(1000L * 15_000_000 + 4096L * 75_000_000), OPUS.maxCostNanos(1000, 4096));
    }
}
