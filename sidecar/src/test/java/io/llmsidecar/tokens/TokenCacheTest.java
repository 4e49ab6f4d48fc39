package io.llmsidecar.tokens;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TokenCacheTest {
    private static final BpeTokenizer O200K = BpeTokenizer.o200k();

    @Test
    void aCachedCountEqualsAFreshCountForFreshStringInstances() {
        TokenCache cache = new TokenCache(O200K::count, 1 << 20);
        String text = "Please summarise the delivery options for next week. ".repeat(20);
        long first = cache.count(text);
        long again = cache.count(new String(text.toCharArray()));
        assertEquals(O200K.count(text), first);
        assertEquals(first, again);
    }

    @Test
    void startsOverWhenFullAndStaysCorrect() {
        AtomicInteger encoded = new AtomicInteger();
        ToLongFunction<String> counting = text -> {
            encoded.incrementAndGet();
            return O200K.count(text);
        };
        TokenCache cache = new TokenCache(counting, 4096);
        for (int i = 0; i < 200; i++) {
            String text = "message number " + i + " with some padding text";
            assertEquals(O200K.count(text), cache.count(text));
        }
        int afterFill = encoded.get();
        assertEquals(200, afterFill, "every distinct text is encoded once");
        cache.count("message number 199 with some padding text");
        assertEquals(afterFill, encoded.get(), "the most recent text survives the reset");
    }
}
