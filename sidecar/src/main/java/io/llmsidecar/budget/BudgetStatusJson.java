package io.llmsidecar.budget;

import com.fasterxml.jackson.core.JsonGenerator;
import io.llmsidecar.admin.AdminJson;
import io.llmsidecar.pricing.Usd;

import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;

/**
 * The one JSON shape of budget counters, written by the admin API ({@code GET /admin/budgets}) and the operator CLI
 * ({@code budgets list --json}) alike, so the two cannot drift:
 * {@code {"budgets":[{"budget","key","window_start","window_end","used_tokens","used_usd","limit_tokens",
 * "limit_usd","remaining_tokens","remaining_usd","reserved_tokens","reserved_usd"}]}}. Money is USD as exact plain
 * decimals; a limit the budget does not set, and the remainder of it, are {@code null}.
 */
final class BudgetStatusJson {
    private BudgetStatusJson() {
    }

    /** The document for {@code statuses}, to hand to {@link AdminJson}. */
    static AdminJson.Body of(List<BudgetStatus> statuses) {
        return g -> write(g, statuses);
    }

    /** The document as text, as the admin API would answer it. */
    static String text(List<BudgetStatus> statuses) {
        return AdminJson.text(of(statuses));
    }

    private static void write(JsonGenerator g, List<BudgetStatus> statuses) throws IOException {
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
