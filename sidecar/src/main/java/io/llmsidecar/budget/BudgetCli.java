package io.llmsidecar.budget;

import io.llmsidecar.pricing.Usd;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code java -jar llm-sidecar.jar budgets list|reset <budget> <key> [--json]}: the operator's view of budgets shared
 * through Redis, which are a cluster-wide object rather than one pod's. Reads the same configuration as the server
 * ({@code SIDECAR_CONFIG}, {@code SIDECAR_*}) and talks to the store directly, so it needs no admin token and no
 * running sidecar, only access to Redis.
 */
public final class BudgetCli {
    /** Exit statuses: done, no such counter, wrong usage or configuration, store unreachable. */
    static final int OK = 0;
    static final int NOT_FOUND = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;
    static final String HELP = """
            Usage: java -jar llm-sidecar.jar budgets list [--json]
                   java -jar llm-sidecar.jar budgets reset <budget> <key> [--json]
            Reads SIDECAR_CONFIG and SIDECAR_* like the server and talks to budget-store.redis-uri directly.
              list    every counter of every budget in its current window, across all replicas
              reset   sets one counter's usage in the current window to zero (requests in flight keep what they hold),
                      e.g. budgets reset team-daily team=payments""";

    private final BudgetsConfig config;
    private final PrintStream out;
    private final PrintStream err;

    private BudgetCli(BudgetsConfig config, PrintStream out, PrintStream err) {
        this.config = config;
        this.out = out;
        this.err = err;
    }

    /** Runs {@code args} (after {@code budgets}) and returns the exit status. */
    public static int run(List<String> args, BudgetsConfig config, PrintStream out, PrintStream err) {
        return new BudgetCli(config, out, err).run(args);
    }

    private int run(List<String> args) {
        boolean json = args.contains("--json");
        List<String> words = args.stream().filter(a -> !a.equals("--json")).toList();
        if (words.isEmpty() || !(words.getFirst().equals("list") && words.size() == 1
                                 || words.getFirst().equals("reset") && words.size() == 3)) {
            err.println(HELP);
            return USAGE;
        }
        if (config.store().redisUri().isEmpty()) {
            err.println("llm-sidecar budgets: budget-store.redis-uri (SIDECAR_REDIS_URI) is not set, so budgets live "
                        + "inside each sidecar process; use that sidecar's admin API (GET /admin/budgets) instead.");
            return USAGE;
        }
        if (config.budgets().isEmpty()) {
            err.println("llm-sidecar budgets: no budgets are configured; set SIDECAR_CONFIG to the file that lists "
                        + "them, as for the sidecar.");
            return USAGE;
        }
        RedisConnector connector = RedisConnector.create(config.store());
        RedisBudgetStore store = BudgetStores.redis(connector, config.store(), n -> { });
        // The connection is made in the background; give it a few connect timeouts before giving up.
        long deadline = System.nanoTime() + config.store().connectTimeout().multipliedBy(5).toNanos();
        try {
            while (true) {
                try {
                    return words.getFirst().equals("list") ? list(store, json)
                            : reset(store, words.get(1), words.get(2), json);
                } catch (BudgetStoreUnavailableException e) {
                    if (System.nanoTime() > deadline) {
                        err.println("llm-sidecar budgets: cannot reach " + connector.describe() + " ("
                                    + connector.whatIsTried() + ")");
                        return UNAVAILABLE;
                    }
                    sleep();
                }
            }
        } finally {
            store.close();
            connector.close();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BudgetStoreUnavailableException("interrupted", e);
        }
    }

    private int list(BudgetStore store, boolean json) {
        List<BudgetStatus> statuses = store.list(config.budgets(), Instant.now()).stream().map(CounterState::status)
                .toList();
        out.println(json ? BudgetStatusJson.text(statuses) : table(statuses));
        return OK;
    }

    private int reset(BudgetStore store, String budgetName, String key, boolean json) {
        Optional<Budget> budget = config.budgets().stream().filter(b -> b.name().equals(budgetName)).findFirst();
        if (budget.isEmpty()) {
            err.println("llm-sidecar budgets: no budget '" + budgetName + "'; configured: "
                        + config.budgets().stream().map(Budget::name).toList());
            return NOT_FOUND;
        }
        Counter counter = Counter.of(budget.get(), key, Instant.now());
        if (!store.reset(counter)) {
            err.println("llm-sidecar budgets: budget '" + budgetName + "' has no counter for '" + key + "' in its "
                        + "current window; 'budgets list' shows them.");
            return NOT_FOUND;
        }
        List<BudgetStatus> after = store.read(List.of(counter)).stream().map(CounterState::status).toList();
        out.println(json ? BudgetStatusJson.text(after) : "Reset budget '" + budgetName + "' for " + key + " in "
                                         + config.store().redactedUri().orElse("") + "\n" + table(after));
        return OK;
    }

    static String table(List<BudgetStatus> statuses) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"BUDGET", "KEY", "WINDOW END", "USED TOKENS", "LIMIT", "RESERVED", "USED USD",
                               "LIMIT USD"});
        for (BudgetStatus s : statuses) {
            rows.add(new String[] {s.budget(), s.key(), s.windowEnd().toString(), Long.toString(s.usedTokens()),
                                   tokens(s.limitTokens()), Long.toString(s.reservedTokens()),
                                   Usd.toDecimal(s.usedNanos()).toPlainString(), usd(s.limitNanos())});
        }
        int[] widths = new int[rows.getFirst().length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                b.append(String.format(Locale.ROOT, "%-" + (widths[i] + 2) + "s", r[i]));
            }
            b.setLength(b.length() - 2);
            b.append('\n');
        }
        if (statuses.isEmpty()) {
            b.append("(no counters in the current windows)\n");
        }
        return b.toString().stripTrailing();
    }

    private static String tokens(OptionalLong limit) {
        return limit.isPresent() ? Long.toString(limit.getAsLong()) : "-";
    }

    private static String usd(OptionalLong limit) {
        return limit.isPresent() ? Usd.toDecimal(limit.getAsLong()).toPlainString() : "-";
    }
}
