package io.llmsidecar.tokens;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Remembers the token counts of longer texts. Chat apps resend the system prompt and the whole conversation on every
 * turn, so most of a request's text has been counted before; a hit costs a hash and an equality check (~1 µs/KB)
 * where BPE costs ~20-40 µs/KB, and even a role name costs a regex pass. Bounded by the characters it holds (plus a
 * per-entry allowance): when full it starts over, which is cheap, rare and never wrong.
 */
final class TokenCache {
    /** What an entry costs beyond its characters (map node, boxed count, string header), for the bound. */
    private static final int ENTRY_OVERHEAD = 64;

    private final ToLongFunction<String> counter;
    private final long maxChars;
    private final ConcurrentHashMap<String, Long> counts = new ConcurrentHashMap<>();
    private final AtomicLong chars = new AtomicLong();

    TokenCache(ToLongFunction<String> counter, long maxChars) {
        this.counter = counter;
        this.maxChars = maxChars;
    }

    long count(String text) {
        if (text.length() > maxChars / 16) {
            return counter.applyAsLong(text);
        }
        Long cached = counts.get(text);
        if (cached != null) {
            return cached;
        }
        long count = counter.applyAsLong(text);
        if (chars.addAndGet(text.length() + ENTRY_OVERHEAD) > maxChars) {
            counts.clear();
            chars.set(text.length() + ENTRY_OVERHEAD);
        }
        counts.put(text, count);
        return count;
    }
}
