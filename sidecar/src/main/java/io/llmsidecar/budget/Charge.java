package io.llmsidecar.budget;

/** An amount of tokens and nano-USD against one counter: reserved before forwarding, or used after. */
record Charge(Counter counter, long tokens, long nanos) {
    Charge {
        if (tokens < 0 || nanos < 0) {
            throw new IllegalArgumentException("charges cannot be negative");
        }
    }
}
