package io.llmsidecar.pricing;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigValues;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code pricing} node: how often to reload the gateway's prices, the completion limit assumed for requests
 * that set none, and the static price table used until (and wherever) the gateway provides prices.
 *
 * @param refreshInterval             how often to fetch the gateway's {@code /models}; zero disables fetching
 * @param defaultMaxCompletionTokens  assumed completion limit when neither the request nor the model sets one
 * @param models                      the static table, by model name
 */
public record PricingConfig(Duration refreshInterval, int defaultMaxCompletionTokens, Map<String, ModelPrice> models) {
    public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_COMPLETION_TOKENS = 4096;

    public PricingConfig {
        models = Map.copyOf(models);
    }

    public static PricingConfig create(Config node) {
        Map<String, ModelPrice> models = new LinkedHashMap<>();
        for (Config entry : node.get("models").asNodeList().orElse(java.util.List.of())) {
            String name = ConfigValues.string(entry.get("name"))
                    .orElseThrow(() -> ConfigValues.invalid(entry, "an entry without a name",
                                                            "each price entry to have 'name', 'input' and 'output'"));
            BigDecimal input = requiredPrice(entry, "input");
            BigDecimal output = requiredPrice(entry, "output");
            long cacheRead = ConfigValues.decimal(entry.get("cache-read")).map(PricingConfig::pico).orElse(-1L);
            long cacheWrite = ConfigValues.decimal(entry.get("cache-write")).map(PricingConfig::pico).orElse(-1L);
            models.put(name, new ModelPrice(pico(input), pico(output), cacheRead, cacheWrite,
                                            ConfigValues.integer(entry.get("max-tokens"), 0, 0, Integer.MAX_VALUE),
                                            ConfigValues.integer(entry.get("context-window"), 0, 0,
                                                                 Integer.MAX_VALUE)));
        }
        return new PricingConfig(ConfigValues.duration(node.get("refresh-interval"), DEFAULT_REFRESH),
                                 ConfigValues.integer(node.get("default-max-completion-tokens"),
                                                      DEFAULT_MAX_COMPLETION_TOKENS, 1, 10_000_000),
                                 models);
    }

    private static BigDecimal requiredPrice(Config entry, String field) {
        BigDecimal price = ConfigValues.decimal(entry.get(field))
                .orElseThrow(() -> ConfigValues.invalid(entry.get(field), "nothing",
                                                        "a price in USD per million tokens, such as 0.15"));
        if (price.signum() < 0) {
            throw ConfigValues.invalid(entry.get(field), price.toPlainString(), "a price that is zero or more");
        }
        return price;
    }

    private static long pico(BigDecimal usdPerMillion) {
        return Usd.picoPerTokenFromPerMillion(usdPerMillion);
    }
}
