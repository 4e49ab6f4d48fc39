package io.llmsidecar.pricing;

import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CompletionDefaultTest {
    private static final Optional<PricedModel> MINI =
            Optional.of(new PricedModel("gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16384, 128000)));
    private static final Optional<PricedModel> TINY =
            Optional.of(new PricedModel("tiny", new ModelPrice(150_000, 600_000, 75_000, 512, 4096)));
    private static final Optional<PricedModel> NO_LIMIT =
            Optional.of(new PricedModel("no-limit", new ModelPrice(150_000, 600_000, 75_000, 0, 0)));

    @Test
    void usesTheGatewaysDefaultInsteadOfTheModelsMaximum() {
        CompletionDefault unbound = new CompletionDefault(OptionalInt.of(1000), 4096);
        assertEquals(1000, unbound.limitFor(MINI));
        assertEquals(1000, unbound.limitFor(NO_LIMIT));
        assertEquals(1000, unbound.limitFor(Optional.empty()));
    }

    @Test
    void capsTheGatewaysDefaultAtTheModelsMaximum() {
        assertEquals(512, new CompletionDefault(OptionalInt.of(1000), 4096).limitFor(TINY));
    }

    @Test
    void withoutAGatewayDefaultAssumesTheModelsMaximumElseTheFallback() {
        CompletionDefault other = new CompletionDefault(OptionalInt.empty(), 4096);
        assertEquals(16384, other.limitFor(MINI));
        assertEquals(4096, other.limitFor(NO_LIMIT));
        assertEquals(4096, other.limitFor(Optional.empty()));
    }
}
