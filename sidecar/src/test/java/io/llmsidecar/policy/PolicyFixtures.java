package io.llmsidecar.policy;

import io.llmsidecar.budget.BudgetStatus;
import io.llmsidecar.detect.DetectorConfig;
import io.llmsidecar.detect.Detectors;
import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.pricing.Estimate;
import io.llmsidecar.pricing.ModelPrice;
import io.llmsidecar.pricing.PricedModel;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** The request behind the input example in policies/README.md, and ways to vary it. */
final class PolicyFixtures {
    static final Instant NOW = Instant.parse("2026-01-05T12:30:00Z");
    static final PodIdentity POD = new PodIdentity("shop", "checkout-7d9f8c-x2k4q", "checkout", "checkout",
                                                   "payments", true);
    static final Subject SUBJECT = new Subject("payments", "u-42", POD);
    static final PricedModel GPT_4O_MINI = new PricedModel("gpt-4o-mini",
                                                           new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000));

    private PolicyFixtures() {
    }

    static ChatRequest request(String body) {
        return ChatRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    static String body(String model, String prompt) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":256,\"temperature\":0.7,\"user\":\"u-42\","
               + "\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant.\"},"
               + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    static Estimate estimate(long promptTokens, long maxCompletionTokens) {
        return new Estimate(promptTokens, maxCompletionTokens,
                            GPT_4O_MINI.price().maxCostNanos(promptTokens, maxCompletionTokens),
                            Optional.of(GPT_4O_MINI));
    }

    static BudgetStatus teamBudget() {
        return new BudgetStatus("team-daily", "team=payments", Instant.parse("2026-01-05T00:00:00Z"),
                                Instant.parse("2026-01-06T00:00:00Z"), OptionalLong.of(2_000_000), 1_250_000, 4_000,
                                OptionalLong.of(50_000_000_000L), 31_400_000_000L, 2_000_000L);
    }

    /**
     * The README's example: an ordinary request from the payments team with one budget in force. Its prompt holds a
     * bare number that passes the card checks, which the default detectors report as a low-confidence card.
     */
    static PolicyInput exampleInput() {
        ChatRequest request = request(body("gpt-4o-mini", EXAMPLE_PROMPT));
        return PolicyInput.of("4bf92f3577b34da6", request, SUBJECT, estimate(38, 256), List.of(teamBudget()), NOW,
                              Detectors.create(DetectorConfig.DEFAULT).scan(request.scannedTexts()));
    }

    static final String EXAMPLE_PROMPT = "Plan meals for the week; my loyalty number is 6011000990139424.";
}
