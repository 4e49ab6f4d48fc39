package io.llmsidecar.budget;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The one JSON shape of budget counters (the admin API and the CLI both print it; BudgetProcessIT compares the two
 * processes' outputs for the same counters).
 */
class BudgetStatusJsonTest {
    private static final Instant START = Instant.parse("2026-03-10T00:00:00Z");
    private static final Instant END = Instant.parse("2026-03-11T00:00:00Z");

    @Test
    void writesEveryFieldWithMoneyAsPlainDecimals() {
        BudgetStatus status = new BudgetStatus("team-daily", "team=payments", START, END, OptionalLong.of(300), 260,
                                               0, OptionalLong.of(2_500_000_000L), 149_250, 1);

        assertEquals("{\"budgets\":[{\"budget\":\"team-daily\",\"key\":\"team=payments\","
                     + "\"window_start\":\"2026-03-10T00:00:00Z\",\"window_end\":\"2026-03-11T00:00:00Z\","
                     + "\"used_tokens\":260,\"used_usd\":0.00014925,\"limit_tokens\":300,\"limit_usd\":2.5,"
                     + "\"remaining_tokens\":40,\"remaining_usd\":2.499850749,\"reserved_tokens\":0,"
                     + "\"reserved_usd\":0.000000001}]}",
                     BudgetStatusJson.text(List.of(status)));
    }

    @Test
    void writesLimitsTheBudgetDoesNotSetAndTheirRemaindersAsNull() {
        BudgetStatus tokensOnly = new BudgetStatus("a", "*", START, END, OptionalLong.of(10), 12, 0,
                                                   OptionalLong.empty(), 1_000_000_000_000L, 0);

        assertEquals("{\"budgets\":[{\"budget\":\"a\",\"key\":\"*\",\"window_start\":\"2026-03-10T00:00:00Z\","
                     + "\"window_end\":\"2026-03-11T00:00:00Z\",\"used_tokens\":12,\"used_usd\":1000,"
                     + "\"limit_tokens\":10,\"limit_usd\":null,\"remaining_tokens\":0,\"remaining_usd\":null,"
                     + "\"reserved_tokens\":0,\"reserved_usd\":0}]}",
                     BudgetStatusJson.text(List.of(tokensOnly)), "1000 USD, never 1E+3; overspent remains 0");
    }

    @Test
    void writesNoCountersAsAnEmptyList() {
        assertEquals("{\"budgets\":[]}", BudgetStatusJson.text(List.of()));
    }
}
