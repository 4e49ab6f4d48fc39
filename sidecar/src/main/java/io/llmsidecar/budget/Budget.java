package io.llmsidecar.budget;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;
import io.llmsidecar.config.ConfigValues;
import io.llmsidecar.pricing.Usd;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * One entry of the {@code budgets} list: a token and/or USD limit per window, kept per distinct tuple of scope values
 * (an empty scope keeps one counter for every request).
 *
 * @param limitNanos the USD limit in nano-USD
 */
record Budget(String name, List<Scope> scope, Window window, OptionalLong limitTokens, OptionalLong limitNanos) {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Lua numbers are doubles: every amount the store compares must stay exact below 2^53. */
    static final long MAX_TOKENS = 1L << 53;

    Budget {
        scope = List.copyOf(scope);
    }

    /** Reads {@code budgets[index]}; errors name the entry, e.g. {@code budgets[1] (team-daily): ...}. */
    static Budget create(Config entry, int index) {
        String name = EntryReader.name(entry, "budgets", index);
        EntryReader read = new EntryReader("budgets[" + index + "] (" + name + ")");
        List<Scope> scope = read.scope(entry.get("scope"));
        String windowText = ConfigValues.string(entry.get("window"))
                .orElseThrow(() -> read.invalid("has no window; set window to one of " + Window.NAMES));
        Window window = Window.parse(windowText)
                .orElseThrow(() -> read.invalid("window '" + windowText + "' is not one of " + Window.NAMES));
        OptionalLong tokens = read.positiveLong(entry.get("tokens"), "tokens", MAX_TOKENS);
        OptionalLong nanos = usd(entry.get("usd"), read);
        if (tokens.isEmpty() && nanos.isEmpty()) {
            throw read.invalid("sets neither tokens nor usd; give at least one limit, e.g. tokens: 1000000");
        }
        return new Budget(name, scope, window, tokens, nanos);
    }

    private static OptionalLong usd(Config node, EntryReader read) {
        if (!node.exists()) {
            return OptionalLong.empty();
        }
        String text = ConfigValues.string(node).orElse("");
        BigDecimal usd;
        try {
            usd = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw read.invalid("usd '" + text + "' is not an amount in USD such as 50.00");
        }
        if (usd.signum() <= 0 || usd.movePointRight(9).compareTo(BigDecimal.valueOf(Usd.MAX_BUDGET_NANOS)) > 0) {
            throw read.invalid("usd '" + text + "' must be more than 0 and at most "
                               + Usd.toDecimal(Usd.MAX_BUDGET_NANOS).toPlainString());
        }
        return OptionalLong.of(Usd.nanos(usd));
    }

    /** Reads the parts that budgets and rate limits share, with messages that name the entry. */
    record EntryReader(String entry) {
        static String name(Config node, String list, int index) {
            String name = ConfigValues.string(node.get("name")).orElseThrow(() -> new ConfigException(
                    list + "[" + index + "] has no name; give every entry a name such as team-daily."));
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(list + "[" + index + "]: name '" + name + "' may only use letters, digits, "
                                          + "'.', '_' and '-' (at most 64), such as team-daily.");
            }
            return name;
        }

        ConfigException invalid(String problem) {
            return new ConfigException(entry + ": " + problem + ".");
        }

        List<Scope> scope(Config node) {
            if (!node.exists()) {
                return List.of();
            }
            List<String> labels = node.isLeaf()
                    ? List.of(ConfigValues.string(node).orElse("").split(","))
                    : node.asList(String.class).get();
            List<Scope> scopes = new ArrayList<>();
            for (String label : labels) {
                if (label.isBlank()) {
                    continue;
                }
                Scope scope = Scope.parse(label)
                        .orElseThrow(() -> invalid("scope '" + label.strip() + "' is not one of " + Scope.NAMES));
                if (scopes.contains(scope)) {
                    throw invalid("scope names '" + scope.label() + "' twice");
                }
                scopes.add(scope);
            }
            return scopes;
        }

        OptionalLong positiveLong(Config node, String field, long max) {
            if (!node.exists()) {
                return OptionalLong.empty();
            }
            String text = ConfigValues.string(node).orElse("");
            try {
                long value = Long.parseLong(text);
                if (value >= 1 && value <= max) {
                    return OptionalLong.of(value);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(field + " '" + text + "' is not a whole number from 1 to " + max);
        }
    }
}
