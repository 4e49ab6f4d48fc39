package io.llmsidecar.pricing;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Prices per model: the gateway's {@code /models} map, refreshed in the background, over the static table from
 * configuration. Lookups are lock-free reads of an immutable index that a refresh replaces whole.
 *
 * <p>Names match exactly first (case-insensitively), then by the part after the last {@code /}, so a request for
 * {@code gpt-4o-mini} finds {@code openai/gpt-4o-mini} and the other way round, but only when that short name is
 * unambiguous: a guess that could pick the wrong price is worse than no price.
 */
public final class PriceBook {
    private final Map<String, ModelPrice> fallback;
    private volatile Index index;
    private volatile Instant gatewayUpdatedAt;
    private volatile int gatewayModels;

    public PriceBook(Map<String, ModelPrice> fallback) {
        this.fallback = Map.copyOf(fallback);
        this.index = Index.of(Map.of(), this.fallback);
    }

    public Optional<PricedModel> find(String model) {
        return Optional.ofNullable(index.find(model));
    }

    /** Replaces the gateway's prices; the static table still fills in models the gateway does not list. */
    public void updateFromGateway(Map<String, ModelPrice> prices, Instant at) {
        this.index = Index.of(prices, fallback);
        this.gatewayUpdatedAt = at;
        this.gatewayModels = prices.size();
    }

    /** When the gateway's prices were last loaded; empty while only the static table is in use. */
    public Optional<Instant> gatewayUpdatedAt() {
        return Optional.ofNullable(gatewayUpdatedAt);
    }

    public int gatewayModelCount() {
        return gatewayModels;
    }

    public int size() {
        return index.byName.size();
    }

    /**
     * The first 12 hex digits of a SHA-256 over every model's prices as now in force: changes whenever a price
     * does, so a settlement names the exact table that priced it.
     */
    public String revision() {
        return index.revision;
    }

    private record Index(Map<String, PricedModel> byName, Map<String, PricedModel> byShortName, String revision) {
        static Index of(Map<String, ModelPrice> gateway, Map<String, ModelPrice> fallback) {
            Map<String, ModelPrice> merged = new HashMap<>(fallback);
            merged.putAll(gateway);
            String revision = revision(merged);
            Map<String, PricedModel> byName = new HashMap<>();
            Map<String, PricedModel> byShort = new HashMap<>();
            Set<String> ambiguous = new HashSet<>();
            merged.forEach((name, price) -> {
                PricedModel priced = new PricedModel(name, price, revision);
                byName.put(name.toLowerCase(Locale.ROOT), priced);
                String shortName = shortName(name.toLowerCase(Locale.ROOT));
                PricedModel previous = byShort.putIfAbsent(shortName, priced);
                if (previous != null && !previous.name().equals(name)) {
                    ambiguous.add(shortName);
                }
            });
            ambiguous.forEach(byShort::remove);
            return new Index(Map.copyOf(byName), Map.copyOf(byShort), revision);
        }

        private static String revision(Map<String, ModelPrice> prices) {
            java.security.MessageDigest sha;
            try {
                sha = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
            for (var entry : new java.util.TreeMap<>(prices).entrySet()) {
                ModelPrice p = entry.getValue();
                sha.update((entry.getKey() + '\0' + p.inputPico() + ',' + p.outputPico() + ',' + p.cacheReadPico()
                            + ',' + p.cacheWritePico() + '\n').getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        }

        PricedModel find(String model) {
            String key = model.toLowerCase(Locale.ROOT);
            PricedModel found = byName.get(key);
            return found != null ? found : byShortName.get(shortName(key));
        }

        private static String shortName(String name) {
            int slash = name.lastIndexOf('/');
            return slash < 0 ? name : name.substring(slash + 1);
        }
    }
}
