package io.llmsidecar.rego;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiled expressions shared by every policy instance (RE2/J patterns are immutable and thread-safe), so a
 * pattern a policy uses on every request is compiled once per process. Bounded: a policy can build patterns from
 * input, and those must not grow the heap; when full, the cache starts over, which costs a recompile, never
 * correctness. Invalid expressions are cached too, so a bad pattern in a hot rule is rejected cheaply.
 */
final class PatternCache {
    static final int DEFAULT_CAPACITY = 256;

    private final int capacity;
    private final ConcurrentHashMap<String, Compiled> entries = new ConcurrentHashMap<>();

    /** A pattern that compiled, or the reason it did not. */
    private record Compiled(GoRegexp regexp, LiteralAlternation literals, String error) {
    }

    PatternCache(int capacity) {
        this.capacity = capacity;
    }

    /** @throws IllegalArgumentException when RE2 rejects the expression */
    GoRegexp regexp(String expression) {
        return lookup(expression).regexp();
    }

    /** The literal alternatives of the expression, or {@code null} when it needs a real regex. */
    LiteralAlternation literals(String expression) {
        return lookup(expression).literals();
    }

    int size() {
        return entries.size();
    }

    private Compiled lookup(String expression) {
        Compiled compiled = entries.get(expression);
        if (compiled == null) {
            if (entries.size() >= capacity) {
                entries.clear();
            }
            compiled = entries.computeIfAbsent(expression, PatternCache::compile);
        }
        if (compiled.error() != null) {
            throw new IllegalArgumentException(compiled.error());
        }
        return compiled;
    }

    private static Compiled compile(String expression) {
        try {
            return new Compiled(GoRegexp.compile(expression), LiteralAlternation.of(expression), null);
        } catch (RuntimeException e) {                  // PatternSyntaxException, and anything else RE2/J throws
            return new Compiled(null, null, "invalid regular expression: " + e.getMessage());
        }
    }
}
