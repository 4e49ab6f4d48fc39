package io.llmsidecar.budget;

import io.llmsidecar.identity.PodIdentity;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.SidecarException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a request takes from rate limits, and the per-replica fallback while the store is down. */
class RateLimitsTest {
    private static final RateLimit TEAM_RPM = new RateLimit("team-rpm", List.of(Scope.TEAM), 2, OptionalLong.empty());
    private static final RateLimit APP_TPM = new RateLimit("app-tpm", List.of(Scope.APP), 600,
                                                           OptionalLong.of(1000));
    private final Subject payments = new Subject("payments", "alice",
                                                 new PodIdentity("ns", "pod", "sa", "web", "", true));

    @Test
    void admissionTakesOneRequestFromEveryLimitAndThePromptFromTokenLimits() {
        RateLimits limits = new RateLimits(List.of(TEAM_RPM, APP_TPM));

        assertEquals(List.of(new RateTake(TEAM_RPM, "team=payments", RateTake.Unit.REQUESTS, 1),
                             new RateTake(APP_TPM, "app=web", RateTake.Unit.REQUESTS, 1),
                             new RateTake(APP_TPM, "app=web", RateTake.Unit.TOKENS, 300)),
                     limits.admission(payments, "gpt-4o-mini", 300));
    }

    @Test
    void aPromptLargerThanTheMinuteWaitsForAFullBucketNotForever() {
        RateLimits limits = new RateLimits(List.of(APP_TPM));

        assertEquals(1000, limits.admission(payments, "m", 5000).get(1).amount());
        assertEquals(1, limits.admission(payments, "m", 0).size(), "no prompt, no token take");
    }

    @Test
    void theCompletionIsTakenFromTokenLimitsOnly() {
        RateLimits limits = new RateLimits(List.of(TEAM_RPM, APP_TPM));

        assertEquals(List.of(new RateTake(APP_TPM, "app=web", RateTake.Unit.TOKENS, 40)),
                     limits.completion(payments, "m", 40));
        assertEquals(List.of(), limits.completion(payments, "m", 0));
        assertEquals(List.of(), new RateLimits(List.of(TEAM_RPM)).completion(payments, "m", 40));
    }

    @Test
    void noLimitsTakeNothing() {
        RateLimits limits = new RateLimits(List.of());

        assertEquals(List.of(), limits.admission(payments, "m", 100));
        assertEquals(List.of(), limits.completion(payments, "m", 100));
    }

    @Test
    void theLocalFallbackRefusesWith429OnceTheMinuteIsSpent() {
        RateLimits limits = new RateLimits(List.of(TEAM_RPM));
        List<RateTake> takes = limits.admission(payments, "m", 10);

        limits.admitLocally(takes);
        limits.admitLocally(takes);
        SidecarException e = assertThrows(SidecarException.class, () -> limits.admitLocally(takes));

        assertEquals(429, e.status());
        assertEquals("rate_limited", e.code());
        assertTrue(e.getMessage().startsWith("Rate limit 'team-rpm' for team=payments (2 requests per minute)"),
                   e.getMessage());
    }

    @Test
    void aCompletionOverdrawsTheLocalTokenBucketSoTheNextRequestWaits() {
        RateLimits limits = new RateLimits(List.of(APP_TPM));

        limits.admitLocally(limits.admission(payments, "m", 100));
        limits.completeLocally(limits.completion(payments, "m", 950));
        SidecarException e = assertThrows(SidecarException.class,
                                          () -> limits.admitLocally(limits.admission(payments, "m", 10)));

        assertTrue(e.getMessage().startsWith("Rate limit 'app-tpm' for app=web (1000 tokens per minute)"),
                   e.getMessage());
    }
}
