package io.llmsidecar.policy;

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

/** An ordinary request that every new policy revision must evaluate without error before it is swapped in. */
final class SampleInput {
    static final String JSON = PolicyInput.of(
            "policy-smoke-test",
            ChatRequest.parse("{\"model\":\"gpt-4o-mini\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}"
                                      .getBytes(StandardCharsets.UTF_8)),
            new Subject("", "", new PodIdentity("", "", "", "", "", true)),
            new Estimate(8, 64, 40_000, Optional.of(new PricedModel(
                    "gpt-4o-mini", new ModelPrice(150_000, 600_000, 75_000, 16_384, 128_000)))),
            List.of(),
            Instant.parse("2026-01-05T12:00:00Z")).json();

    private SampleInput() {
    }
}
