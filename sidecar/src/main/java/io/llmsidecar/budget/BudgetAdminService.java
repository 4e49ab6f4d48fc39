package io.llmsidecar.budget;

import com.fasterxml.jackson.core.JsonGenerator;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.admin.AdminJson;
import io.llmsidecar.pricing.Usd;

import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;

/**
 * The budget admin API, under {@code /admin} on the admin socket (which checks the admin token): list the counters of
 * the current windows, and reset one. Money is written in USD as exact decimals.
 */
final class BudgetAdminService implements HttpService {
    private final BudgetService budgets;

    BudgetAdminService(BudgetService budgets) {
        this.budgets = budgets;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/budgets", this::list)
                .delete("/budgets/{budget}/{key}", this::reset);
    }

    private void list(ServerRequest req, ServerResponse res) {
        send(res, budgets.list());
    }

    private void reset(ServerRequest req, ServerResponse res) {
        String budget = req.path().pathParameters().get("budget");
        String key = req.path().pathParameters().get("key");
        if (!budgets.reset(budget, key)) {
            throw BudgetErrors.notFound("No budget '" + budget + "' has a counter for '" + key + "' in its current "
                                        + "window; GET /admin/budgets lists them.");
        }
        send(res, budgets.list().stream().filter(s -> s.budget().equals(budget) && s.key().equals(key)).toList());
    }

    private static void send(ServerResponse res, List<BudgetStatus> statuses) {
        AdminJson.send(res, g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("budgets");
            for (BudgetStatus s : statuses) {
                g.writeStartObject();
                g.writeStringField("budget", s.budget());
                g.writeStringField("key", s.key());
                g.writeStringField("window_start", s.windowStart().toString());
                g.writeStringField("window_end", s.windowEnd().toString());
                g.writeNumberField("used_tokens", s.usedTokens());
                g.writeNumberField("used_usd", Usd.toDecimal(s.usedNanos()));
                tokens(g, "limit_tokens", s.limitTokens());
                usd(g, "limit_usd", s.limitNanos());
                tokens(g, "remaining_tokens", s.remainingTokens());
                usd(g, "remaining_usd", s.remainingNanos());
                g.writeNumberField("reserved_tokens", s.reservedTokens());
                g.writeNumberField("reserved_usd", Usd.toDecimal(s.reservedNanos()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void tokens(JsonGenerator g, String field, OptionalLong value) throws IOException {
        if (value.isPresent()) {
            g.writeNumberField(field, value.getAsLong());
        } else {
            g.writeNullField(field);
        }
    }

    private static void usd(JsonGenerator g, String field, OptionalLong nanos) throws IOException {
        if (nanos.isPresent()) {
            g.writeNumberField(field, Usd.toDecimal(nanos.getAsLong()));
        } else {
            g.writeNullField(field);
        }
    }
}
