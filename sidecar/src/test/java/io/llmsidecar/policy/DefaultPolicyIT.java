package io.llmsidecar.policy;

import io.llmsidecar.detect.DetectorConfig;
import io.llmsidecar.detect.Detectors;
import io.llmsidecar.detect.FindingKind;
import io.llmsidecar.detect.Findings;
import io.llmsidecar.identity.Subject;
import io.llmsidecar.metrics.SidecarMetrics;
import io.llmsidecar.openai.ChatRequest;
import io.llmsidecar.pricing.Estimate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled default policy set, compiled to Wasm by the build and evaluated in-process: the same decisions and
 * messages that the Rego unit tests expect from OPA itself, so the contract cannot drift between the two.
 */
class DefaultPolicyIT {
    private static PolicyEngine engine;

    @BeforeAll
    static void load() {
        engine = PolicyEngine.start(TestPolicies.config(Optional.empty(), Optional.empty(), 4, Duration.ofSeconds(5)),
                                    new SidecarMetrics("test"));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void allowsAnOrdinaryRequest() {
        Decision decision = evaluate(PolicyFixtures.body("gpt-4o-mini", "Plan meals for the week."),
                                     PolicyFixtures.estimate(27, 256));
        assertEquals(new Decision.Allow(io.llmsidecar.openai.RequestPatch.NONE, decision.revision()), decision);
        assertTrue(decision.revision().matches("[0-9a-f]{12}"), decision.revision());
    }

    @Test
    void deniesSecretsWithTheMessageOpaWouldWrite() {
        Decision.Deny deny = denied(PolicyFixtures.body("gpt-4o-mini",
                                                        "use AKIAIOSFODNN7EXAMPLE and 4111 1111 1111 1111"),
                                    PolicyFixtures.estimate(27, 256));
        assertEquals(List.of(new Decision.Reason("card_number_in_prompt", "The prompt contains what looks like a "
                                                 + "payment card number (payment card number in messages[1].content);"
                                                 + " remove it before sending.", "secrets"),
                             new Decision.Reason("secret_in_prompt", "The prompt contains what looks like a secret "
                                                 + "(AWS access key id in messages[1].content); remove it before "
                                                 + "sending.", "secrets")),
                     deny.reasons().stream().sorted(java.util.Comparator.comparing(Decision.Reason::code)).toList());
    }

    @Test
    void findsEveryKindOfSecretInWasm() {
        for (String secret : List.of("-----BEGIN OPENSSH PRIVATE KEY-----",
                                     "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
                                     "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD",
                                     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
                                     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXX",
                                     "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
                                     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl")) {
            Decision.Deny deny = denied(PolicyFixtures.body("gpt-4o-mini", "here: " + secret),
                                        PolicyFixtures.estimate(27, 256));
            assertEquals("secret_in_prompt", deny.reasons().getFirst().code(), secret);
            assertTrue(!deny.reasons().getFirst().message().contains(secret), "never echo the secret");
        }
        assertEquals("card_number_in_prompt", denied(PolicyFixtures.body("gpt-4o-mini", "amex 378282246310005"),
                                                     PolicyFixtures.estimate(27, 256)).reasons().getFirst().code());
        assertInstanceOf(Decision.Allow.class, evaluate(
                PolicyFixtures.body("gpt-4o-mini", "a task-based, risk-free plan; order 4111 1111 1111 1112"),
                PolicyFixtures.estimate(27, 256)));
    }

    @Test
    void shadowsALowConfidenceCardAndPassesNumericDataInWasm() {
        Decision.Allow bare = assertInstanceOf(Decision.Allow.class, evaluate(
                PolicyFixtures.body("gpt-4o-mini", "order 4111111111111111 shipped"),
                PolicyFixtures.estimate(27, 256)));
        assertEquals(List.of(new Decision.Reason("card_number_in_prompt", "The prompt contains what looks like a "
                                                 + "payment card number (payment card number (low confidence) in "
                                                 + "messages[1].content); remove it before sending.", "secrets")),
                     bare.warnings());
        String seeds = "var rngCooked = [...]int64{-4181792142133755926, 1395769623340756751, 4111111111111111, "
                       + "5333664234075297259, 8140875735541888011, -8.6859247685756013e+00}";
        Decision.Allow table = assertInstanceOf(Decision.Allow.class,
                                                evaluate(PolicyFixtures.body("gpt-4o-mini", seeds),
                                                         PolicyFixtures.estimate(27, 256)));
        assertEquals(List.of(), table.warnings());
        assertEquals("card_number_in_prompt", denied(PolicyFixtures.body("gpt-4o-mini", "order 4111111111111111, "
                                                                         + "card on file"),
                                                     PolicyFixtures.estimate(27, 256)).reasons().getFirst().code());
    }

    @Test
    void deniesATemperatureOutOfRange() {
        Decision.Deny deny = denied(PolicyFixtures.body("gpt-4o-mini", "hi").replace("0.7", "1.8"),
                                    PolicyFixtures.estimate(27, 256));
        assertEquals(List.of(new Decision.Reason("temperature_out_of_range",
                                                 "temperature 1.8 is outside the allowed range 0 to 1.5.", "limits")),
                     deny.reasons());
    }

    @Test
    void deniesAnExpensiveRequestAndAnUnpricedModel() {
        Estimate expensive = new Estimate(27, 256, 2_500_000_000L, Optional.of(PolicyFixtures.GPT_4O_MINI));
        assertEquals("This request could cost up to 2.5000 USD, above the per-request limit of 2.00 USD; lower "
                     + "max_tokens or shorten the prompt.",
                     denied(PolicyFixtures.body("gpt-4o-mini", "hi"), expensive).reasons().getFirst().message());

        Decision.Deny unpriced = denied(PolicyFixtures.body("mystery-model", "hi"),
                                        new Estimate(27, 256, 0, Optional.empty()));
        assertEquals("model_not_priced", unpriced.reasons().getFirst().code());
        assertEquals("pricing", unpriced.reasons().getFirst().policy());
    }

    @Test
    void clampsMaxTokensAboveTheCeiling() {
        Decision decision = evaluate(PolicyFixtures.body("gpt-4o-mini", "hi").replace("256", "50000"),
                                     PolicyFixtures.estimate(27, 50_000));
        Decision.Allow allow = assertInstanceOf(Decision.Allow.class, decision);
        assertEquals(OptionalInt.of(16_384), allow.patch().maxTokens());
    }

    @Test
    void decidesCorrectlyFromManyThreadsAtOnce() throws Exception {
        record Case(String body, Estimate estimate, String expected) {
        }
        List<Case> cases = List.of(
                new Case(PolicyFixtures.body("gpt-4o-mini", "Plan meals."), PolicyFixtures.estimate(27, 256), "allow"),
                new Case(PolicyFixtures.body("gpt-4o-mini", "key AKIAIOSFODNN7EXAMPLE"),
                         PolicyFixtures.estimate(27, 256), "secret_in_prompt"),
                new Case(PolicyFixtures.body("gpt-4o-mini", "hi").replace("256", "50000"),
                         PolicyFixtures.estimate(27, 50_000), "patch:16384"),
                new Case(PolicyFixtures.body("gpt-4o-mini", "hi").replace("0.7", "1.9"),
                         PolicyFixtures.estimate(27, 256), "temperature_out_of_range"));
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                int offset = t;
                futures.add(threads.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        Case c = cases.get((i + offset) % cases.size());
                        String outcome = switch (evaluate(c.body(), c.estimate())) {
                            case Decision.Allow a when a.patch().isEmpty() -> "allow";
                            case Decision.Allow a -> "patch:" + a.patch().maxTokens().getAsInt();
                            case Decision.Deny d -> d.reasons().getFirst().code();
                            case Decision.Failed f -> "failed: " + f.error();
                        };
                        if (!outcome.equals(c.expected())) {
                            wrong.add(c.expected() + " -> " + outcome);
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertEquals(List.of(), List.copyOf(wrong), "6400 evaluations on 4 instances, all as expected");
    }

    private static Decision.Deny denied(String body, Estimate estimate) {
        return assertInstanceOf(Decision.Deny.class, evaluate(body, estimate));
    }

    @Test
    void shadowedFindingsAreAllowedWithAWarning() {
        Decision decision = evaluate(PolicyFixtures.body("gpt-4o-mini", "mail jane@example.com"),
                                     PolicyFixtures.estimate(27, 256),
                                     Detectors.create(new DetectorConfig(Set.of(FindingKind.EMAIL))));
        Decision.Allow allow = assertInstanceOf(Decision.Allow.class, decision);
        assertEquals(List.of("pii_in_prompt"), allow.warnings().stream().map(Decision.Reason::code).toList());
    }

    private static Decision evaluate(String body, Estimate estimate) {
        return evaluate(body, estimate, engine.detectors());
    }

    private static Decision evaluate(String body, Estimate estimate, Detectors detectors) {
        ChatRequest request = PolicyFixtures.request(body);
        Subject subject = PolicyFixtures.SUBJECT;
        Findings findings = detectors.scan(request.promptTexts());
        return engine.evaluate(PolicyInput.of("it", request, subject, estimate, List.of(), findings));
    }
}
