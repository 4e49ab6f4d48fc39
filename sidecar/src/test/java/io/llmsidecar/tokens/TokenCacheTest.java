package io.llmsidecar.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TokenCacheTest {
    private static final Encoding O200K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    @Test
    void aCachedCountEqualsAFreshCountForFreshStringInstances() {
        TokenCache cache = new TokenCache(O200K, 1 << 20);
        String text = "Please summarise the delivery options for next week. ".repeat(20);
        int first = cache.count(text);
        int again = cache.count(new String(text.toCharArray()));
        assertEquals(O200K.countTokensOrdinary(text), first);
        assertEquals(first, again);
    }

    @Test
    void startsOverWhenFullAndStaysCorrect() {
        AtomicInteger encoded = new AtomicInteger();
        Encoding counting = new CountingEncoding(O200K, encoded);
        TokenCache cache = new TokenCache(counting, 4096);
        for (int i = 0; i < 200; i++) {
            String text = "message number " + i + " with some padding text";
            assertEquals(O200K.countTokensOrdinary(text), cache.count(text));
        }
        int afterFill = encoded.get();
        assertEquals(200, afterFill, "every distinct text is encoded once");
        cache.count("message number 199 with some padding text");
        assertEquals(afterFill, encoded.get(), "the most recent text survives the reset");
    }

    /** Counts how often the real encoding runs. */
    private record CountingEncoding(Encoding delegate, AtomicInteger calls) implements Encoding {
        @Override
        public int countTokensOrdinary(String text) {
            calls.incrementAndGet();
            return delegate.countTokensOrdinary(text);
        }

        @Override
        public com.knuddels.jtokkit.api.IntArrayList encode(String text) {
            return delegate.encode(text);
        }

        @Override
        public com.knuddels.jtokkit.api.EncodingResult encode(String text, int maxTokens) {
            return delegate.encode(text, maxTokens);
        }

        @Override
        public com.knuddels.jtokkit.api.IntArrayList encodeOrdinary(String text) {
            return delegate.encodeOrdinary(text);
        }

        @Override
        public com.knuddels.jtokkit.api.EncodingResult encodeOrdinary(String text, int maxTokens) {
            return delegate.encodeOrdinary(text, maxTokens);
        }

        @Override
        public int countTokens(String text) {
            return delegate.countTokens(text);
        }

        @Override
        public String decode(com.knuddels.jtokkit.api.IntArrayList tokens) {
            return delegate.decode(tokens);
        }

        @Override
        public byte[] decodeBytes(com.knuddels.jtokkit.api.IntArrayList tokens) {
            return delegate.decodeBytes(tokens);
        }

        @Override
        public String getName() {
            return delegate.getName();
        }
    }
}
