package io.llmsidecar.budget;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.admin.AdminJson;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The budget admin API, under {@code /admin} on the admin socket (which checks the admin token): list the counters of
 * the current windows across replicas, and reset one. The JSON is {@link BudgetStatusJson}'s, as the CLI prints it.
 */
final class BudgetAdminService implements HttpService {
    private static final System.Logger LOG = System.getLogger(BudgetService.class.getName());

    private final List<Budget> budgets;
    private final BudgetStore store;
    private final StatusView view;
    private final StoreHealth health;
    private final Clock clock;

    BudgetAdminService(List<Budget> budgets, BudgetStore store, StatusView view, StoreHealth health, Clock clock) {
        this.budgets = budgets;
        this.store = store;
        this.view = view;
        this.health = health;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/budgets", this::list)
                .delete("/budgets/{budget}/{key}", this::reset);
    }

    private void list(ServerRequest req, ServerResponse res) {
        AdminJson.send(res, BudgetStatusJson.of(list()));
    }

    private void reset(ServerRequest req, ServerResponse res) {
        String budget = req.path().pathParameters().get("budget");
        String key = req.path().pathParameters().get("key");
        if (!reset(budget, key)) {
            throw BudgetErrors.notFound("No budget '" + budget + "' has a counter for '" + key + "' in its current "
                                        + "window; GET /admin/budgets lists them.");
        }
        AdminJson.send(res, BudgetStatusJson.of(
                list().stream().filter(s -> s.budget().equals(budget) && s.key().equals(key)).toList()));
    }

    /** Every counter of the current windows, across replicas. */
    List<BudgetStatus> list() {
        Instant now = clock.instant();
        List<CounterState> states = call("list", () -> store.list(budgets, now));
        view.remember(states);
        return states.stream().map(CounterState::status).toList();
    }

    /** Sets one counter's usage in the current window back to zero; false if there is no such budget or counter. */
    boolean reset(String budgetName, String key) {
        Optional<Budget> budget = budgets.stream().filter(b -> b.name().equals(budgetName)).findFirst();
        if (budget.isEmpty()) {
            return false;
        }
        Counter counter = Counter.of(budget.get(), key, clock.instant());
        if (!call("reset", () -> store.reset(counter))) {
            return false;
        }
        LOG.log(Level.INFO, "Budget '" + budgetName + "' for " + key + " was reset through the admin API");
        view.forget(counter);
        view.read(List.of(counter));
        return true;
    }

    /** A store call whose failure answers 503 {@code budget_backend_unavailable}. */
    private <T> T call(String operation, Supplier<T> call) {
        long started = System.nanoTime();
        try {
            T result = call.get();
            health.answered(operation, started);
            return result;
        } catch (BudgetStoreUnavailableException e) {
            health.failed(operation, e);
            throw BudgetErrors.unavailable();
        }
    }
}
