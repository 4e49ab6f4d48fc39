package io.llmsidecar.budget;

import io.helidon.config.Config;

import java.util.List;
import java.util.OptionalLong;

/** One entry of the {@code rate-limits} list: requests (and optionally tokens) per minute per scope tuple. */
record RateLimit(String name, List<Scope> scope, long requestsPerMinute, OptionalLong tokensPerMinute) {
    static final long MAX_PER_MINUTE = 1_000_000_000L;

    RateLimit {
        scope = List.copyOf(scope);
    }

    static RateLimit create(Config entry, int index) {
        String name = Budget.EntryReader.name(entry, "rate-limits", index);
        Budget.EntryReader read = new Budget.EntryReader("rate-limits[" + index + "] (" + name + ")");
        List<Scope> scope = read.scope(entry.get("scope"));
        long rpm = read.positiveLong(entry.get("requests-per-minute"), "requests-per-minute", MAX_PER_MINUTE)
                .orElseThrow(() -> read.invalid("has no requests-per-minute; set it, e.g. requests-per-minute: 600"));
        OptionalLong tpm = read.positiveLong(entry.get("tokens-per-minute"), "tokens-per-minute", MAX_PER_MINUTE);
        return new RateLimit(name, scope, rpm, tpm);
    }
}
