package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Precision and recall of the card detector on a labelled corpus ({@code detect/card-corpus.txt}): the card
 * networks' published test numbers in prose, forms, JSON, code and tables, against numeric code and data (seed
 * tables, float literals, ID arrays, order numbers, dumps, timestamps, phone numbers). Counted per number: a
 * sample with two cards where three are found has two true and one false positive. The numbers are in
 * docs/SECURITY.md; the floors keep them from sliding.
 */
class CardCorpusTest {
    private static final Detectors DEFAULT = Detectors.create(DetectorConfig.DEFAULT);

    record Sample(int cards, String label, String text) {
    }

    /** True and false positives and misses, counting only high-confidence findings, or findings of any confidence. */
    record Score(int truePositives, int falsePositives, int missed) {
        double precision() {
            return truePositives + falsePositives == 0 ? 1 : (double) truePositives / (truePositives + falsePositives);
        }

        double recall() {
            return truePositives + missed == 0 ? 1 : (double) truePositives / (truePositives + missed);
        }

        Score plus(int expected, int found) {
            int hit = Math.min(expected, found);
            return new Score(truePositives + hit, falsePositives + found - hit, missed + expected - hit);
        }
    }

    @Test
    void highConfidenceFindingsAreCardsAndFindMostOfThem() throws IOException {
        List<Sample> samples = corpus();
        Score high = new Score(0, 0, 0);
        Score any = new Score(0, 0, 0);
        int positives = 0;
        int cards = 0;
        List<String> off = new ArrayList<>();
        for (Sample sample : samples) {
            Findings findings = DEFAULT.scan(List.of(new PromptText(sample.text(), "messages[0].content")));
            int h = findings.count(FindingKind.PAYMENT_CARD, Confidence.HIGH);
            int l = findings.count(FindingKind.PAYMENT_CARD, Confidence.LOW);
            high = high.plus(sample.cards(), h);
            any = any.plus(sample.cards(), h + l);
            positives += sample.cards() > 0 ? 1 : 0;
            cards += sample.cards();
            if (h != sample.cards() || l != 0) {
                off.add("%s: %d card(s), found %d high, %d low".formatted(sample.label(), sample.cards(), h, l));
            }
        }
        System.out.printf("card corpus: %d samples (%d with %d cards, %d without); high confidence: precision %.3f,"
                          + " recall %.3f (%s); any confidence: precision %.3f, recall %.3f (%s)%n",
                          samples.size(), positives, cards, samples.size() - positives, high.precision(), high.recall(),
                          high, any.precision(), any.recall(), any);
        off.forEach(line -> System.out.println("  " + line));
        assertTrue(samples.size() >= 80 && positives >= 40 && cards >= 50, "too small a corpus: " + samples.size());
        assertTrue(high.precision() == 1.0, "a high-confidence finding that is not a card: " + high + "\n" + off);
        assertTrue(high.recall() >= 0.85, "high-confidence recall " + high.recall() + "\n" + off);
        assertTrue(any.recall() == 1.0, "a card missed altogether: " + any + "\n" + off);
        assertTrue(any.precision() >= 0.85, "low-confidence findings in numeric data: " + any + "\n" + off);
    }

    static List<Sample> corpus() throws IOException {
        String text;
        try (InputStream in = CardCorpusTest.class.getResourceAsStream("/detect/card-corpus.txt")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Sample> samples = new ArrayList<>();
        String[] blocks = text.split("(?m)^=== ");
        for (int i = 1; i < blocks.length; i++) {
            int header = blocks[i].indexOf('\n');
            String[] head = blocks[i].substring(0, header).split(" \\| ", 2);
            String body = blocks[i].substring(header + 1);
            samples.add(new Sample(Integer.parseInt(head[0].strip()), head[1].strip(),
                                   body.endsWith("\n") ? body.substring(0, body.length() - 1) : body));
        }
        return samples;
    }
}
