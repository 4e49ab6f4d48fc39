package io.llmsidecar.budget;

import io.helidon.config.Config;
import io.llmsidecar.config.ConfigException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The top-level {@code budgets} and {@code rate-limits} lists and the {@code budget-store} node. Lists rather than
 * maps because Helidon splits keys on dots, and budget names are free to contain them.
 */
public record BudgetsConfig(List<Budget> budgets, List<RateLimit> rateLimits, BudgetStoreConfig store) {
    public BudgetsConfig {
        budgets = List.copyOf(budgets);
        rateLimits = List.copyOf(rateLimits);
    }

    public static BudgetsConfig create(Config root) {
        List<Budget> budgets = new ArrayList<>();
        List<Config> budgetNodes = root.get("budgets").asNodeList().orElse(List.of());
        for (int i = 0; i < budgetNodes.size(); i++) {
            budgets.add(Budget.create(budgetNodes.get(i), i));
        }
        List<RateLimit> limits = new ArrayList<>();
        List<Config> limitNodes = root.get("rate-limits").asNodeList().orElse(List.of());
        for (int i = 0; i < limitNodes.size(); i++) {
            limits.add(RateLimit.create(limitNodes.get(i), i));
        }
        unique("budgets", budgets.stream().map(Budget::name).toList());
        unique("rate-limits", limits.stream().map(RateLimit::name).toList());
        return new BudgetsConfig(budgets, limits, BudgetStoreConfig.create(root.get("budget-store")));
    }

    /** Budgets and rate limits are off; counters would be kept in memory. */
    static BudgetsConfig none() {
        return new BudgetsConfig(List.of(), List.of(), BudgetStoreConfig.embedded());
    }

    /** Whether anything needs a store at all. */
    public boolean enabled() {
        return !budgets.isEmpty() || !rateLimits.isEmpty();
    }

    private static void unique(String list, List<String> names) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            if (!seen.add(names.get(i))) {
                throw new ConfigException(list + "[" + i + "] (" + names.get(i) + "): the name is already used by an "
                                          + "earlier entry; give each entry its own name.");
            }
        }
    }
}
