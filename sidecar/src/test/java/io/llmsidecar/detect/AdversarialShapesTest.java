package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * 4 MB prompts of the shapes that made the old Rego scan quadratic or would trip a backtracking matcher: each must
 * get the right answer. How fast is measured by {@code DetectorBenchmark}, not here.
 */
class AdversarialShapesTest {
    static final int SIZE = 4 * 1024 * 1024;
    private static final Detectors ALL = Detectors.create(new DetectorConfig(EnumSet.of(FindingKind.EMAIL,
                                                                                       FindingKind.PHONE)));

    /** A shape: a unit repeated to 4 MB, and what must be found in it. */
    enum Shape {
        OPENAI_MARKERS("sk-", Map.of()),
        OPENAI_MARKERS_SPACED("sk- ", Map.of()),
        OPENAI_SCOPED_MARKERS("sk-proj-", Map.of()),
        OPENAI_KEY_OF_MARKERS("sk-Ab1", Map.of(FindingKind.OPENAI_KEY, 1)),
        SLACK_TOKEN_OF_MARKERS("xoxb-1", Map.of(FindingKind.SLACK_TOKEN, 1)),
        AWS_MARKERS("AKIA", Map.of()),
        GITHUB_MARKERS("ghp_", Map.of()),
        GITHUB_PAT_MARKERS("github_pat_", Map.of()),
        SLACK_MARKERS("xoxb-", Map.of()),
        PRIVATE_KEY_MARKERS("-----BEGIN ", Map.of()),
        JWT_MARKERS("eyJ", Map.of()),
        JWT_MARKERS_DOTTED("eyJ.", Map.of()),
        GOOGLE_MARKERS("AIza", Map.of()),
        WEBHOOK_MARKERS("hooks.slack.com/services/T", Map.of()),
        DIGITS_AND_SPACES("1 ", Map.of()),
        DIGITS_AND_DASHES("7-", Map.of()),
        FOUR_DIGIT_GROUPS("0000 ", Map.of()),
        ONE_LONG_WORD("a", Map.of()),
        ONE_LONG_NUMBER("4", Map.of()),
        RUN_OF_SPACES(" ", Map.of()),
        RUN_OF_DASHES("-", Map.of()),
        AT_SIGNS("@", Map.of()),
        PLUS_SIGNS("+", Map.of()),
        EMAIL_LIKE("a@b.", Map.of()),
        CARDS("4111111111111111 ", Map.of(FindingKind.PAYMENT_CARD, SIZE / 17)),
        GROUPED_CARDS("4111 1111 1111 1111, ", Map.of(FindingKind.PAYMENT_CARD, SIZE / 21)),
        DIGIT_GRID("4111 1111 1111 1111 ", Map.of()),          // a grid of 4-digit groups is not cards
        AWS_KEYS("AKIAIOSFODNN7EXAMPLE ", Map.of(FindingKind.AWS_ACCESS_KEY, SIZE / 21)),
        PRIVATE_KEYS("-----BEGIN RSA PRIVATE KEY-----\n", Map.of(FindingKind.PRIVATE_KEY, SIZE / 32));

        final String unit;
        final Map<FindingKind, Integer> expected;

        Shape(String unit, Map<FindingKind, Integer> expected) {
            this.unit = unit;
            this.expected = expected;
        }

        String text() {
            return unit.repeat(SIZE / unit.length());
        }
    }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void answersEveryShapeCorrectly(Shape shape) {
        Findings findings = ALL.scan(List.of(new PromptText(shape.text(), "messages[0].content")));
        Map<FindingKind, Integer> found = new java.util.EnumMap<>(FindingKind.class);
        findings.kinds().forEach(k -> found.put(k, findings.count(k)));
        assertEquals(shape.expected, found, shape.name());
    }
}
