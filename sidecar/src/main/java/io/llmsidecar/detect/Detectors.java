package io.llmsidecar.detect;

import io.llmsidecar.openai.PromptText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Set;

/**
 * Finds credentials, card numbers and (if configured) personal data in prompt text, in one pass over each text:
 * an Aho–Corasick automaton over every kind's markers ({@code AKIA}, {@code ghp_}, {@code -----BEGIN }, ...) finds
 * candidates, and each candidate is confirmed by a bounded matcher that looks only at a small window around it
 * ({@link SecretShapes}); digit runs are read once by {@link CardNumbers}, which also rates each card's
 * {@link Confidence} (every other kind's matches are {@link Confidence#HIGH}). Time is linear in the text whatever it
 * contains, and a scan allocates per text and per finding, never per character.
 *
 * <p>Thread-safe: the automaton is immutable and each {@link #scan} has its own scratch state.
 */
public final class Detectors {
    private final Set<FindingKind> enabled;
    private final LiteralAutomaton automaton;
    private final FindingKind[] kindOf;   // literal id -> kind

    private Detectors(Set<FindingKind> enabled) {
        this.enabled = enabled;
        List<String> literals = new ArrayList<>();
        List<FindingKind> kinds = new ArrayList<>();
        for (Marker marker : Marker.values()) {
            if (enabled.contains(marker.kind)) {
                literals.add(marker.literal);
                kinds.add(marker.kind);
            }
        }
        this.automaton = LiteralAutomaton.of(literals);
        this.kindOf = kinds.toArray(FindingKind[]::new);
    }

    public static Detectors create(DetectorConfig config) {
        return new Detectors(config.enabled());
    }

    /** The kinds this instance looks for. */
    public Set<FindingKind> enabled() {
        return enabled;
    }

    /** Scans every text once and tallies what it found, per kind and confidence, with the places it was found. */
    public Findings scan(List<PromptText> texts) {
        Scan scan = new Scan();
        EnumMap<FindingKind, int[]> counts = null;    // per kind: {high, low}
        EnumMap<FindingKind, List<String>> places = null;
        for (PromptText text : texts) {
            scan.run(text.text());
            for (FindingKind kind : enabled) {
                int high = scan.counts[kind.ordinal()];
                int low = scan.lowCounts[kind.ordinal()];
                if (high == 0 && low == 0) {
                    continue;
                }
                if (counts == null) {
                    counts = new EnumMap<>(FindingKind.class);
                    places = new EnumMap<>(FindingKind.class);
                }
                int[] tally = counts.computeIfAbsent(kind, k -> new int[2]);
                tally[0] += high;
                tally[1] += low;
                List<String> where = places.computeIfAbsent(kind, k -> new ArrayList<>());
                if (where.isEmpty() || !where.getLast().equals(text.where())) {
                    where.add(text.where());
                }
            }
        }
        if (counts == null) {
            return Findings.NONE;
        }
        EnumMap<FindingKind, Findings.Tally> tallies = new EnumMap<>(FindingKind.class);
        for (var entry : counts.entrySet()) {
            int[] tally = entry.getValue();
            tallies.put(entry.getKey(), new Findings.Tally(tally[0], tally[1], places.get(entry.getKey())));
        }
        return new Findings(tallies);
    }

    /** The markers each kind's matches contain, and which matcher confirms them. */
    private enum Marker {
        AKIA("AKIA", FindingKind.AWS_ACCESS_KEY), ASIA("ASIA", FindingKind.AWS_ACCESS_KEY),
        ABIA("ABIA", FindingKind.AWS_ACCESS_KEY), ACCA("ACCA", FindingKind.AWS_ACCESS_KEY),
        BEGIN("-----BEGIN ", FindingKind.PRIVATE_KEY),
        GHP("ghp_", FindingKind.GITHUB_TOKEN), GHO("gho_", FindingKind.GITHUB_TOKEN),
        GHU("ghu_", FindingKind.GITHUB_TOKEN), GHS("ghs_", FindingKind.GITHUB_TOKEN),
        GHR("ghr_", FindingKind.GITHUB_TOKEN), GITHUB_PAT("github_pat_", FindingKind.GITHUB_TOKEN),
        SK("sk-", FindingKind.OPENAI_KEY),
        XOXA("xoxa-", FindingKind.SLACK_TOKEN), XOXB("xoxb-", FindingKind.SLACK_TOKEN),
        XOXP("xoxp-", FindingKind.SLACK_TOKEN), XOXR("xoxr-", FindingKind.SLACK_TOKEN),
        XOXS("xoxs-", FindingKind.SLACK_TOKEN),
        SLACK_HOOK("hooks.slack.com/services/", FindingKind.SLACK_WEBHOOK),
        AIZA("AIza", FindingKind.GOOGLE_API_KEY),
        EYJ("eyJ", FindingKind.JWT),
        AT("@", FindingKind.EMAIL),
        PLUS("+", FindingKind.PHONE);

        final String literal;
        final FindingKind kind;

        Marker(String literal, FindingKind kind) {
            this.literal = literal;
            this.kind = kind;
        }
    }

    /** The per-call state of a scan: counts of the current text and the scratch the matchers reuse. */
    private final class Scan {
        /** Per kind, the matches of the current text: {@link Confidence#HIGH} ones, and (cards only) low ones. */
        final int[] counts = new int[FindingKind.values().length];
        final int[] lowCounts = new int[FindingKind.values().length];
        /** Per kind, the end of its last match: a candidate inside a match is part of it, not another one. */
        final int[] matchedUntil = new int[FindingKind.values().length];
        final SecretShapes shapes = new SecretShapes();
        final CardNumbers cards = new CardNumbers();

        void run(String text) {
            Arrays.fill(counts, 0);
            Arrays.fill(lowCounts, 0);
            Arrays.fill(matchedUntil, 0);
            boolean lookForCards = enabled.contains(FindingKind.PAYMENT_CARD);
            int numbersFrom = 0;
            if (lookForCards) {
                cards.begin();
            }
            int state = LiteralAutomaton.start();
            int n = text.length();
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (lookForCards && c >= '0' && c <= '9' && i >= numbersFrom) {
                    numbersFrom = cards.scan(text, i);
                }
                state = automaton.step(state, c);
                if (state < 0) {
                    for (int hit : automaton.matches(state)) {
                        confirm(text, kindOf[hit], i + 1 - automaton.length(hit), i + 1);
                    }
                    state = LiteralAutomaton.clear(state);
                }
            }
            if (lookForCards) {
                cards.finish();
                counts[FindingKind.PAYMENT_CARD.ordinal()] = cards.high();
                lowCounts[FindingKind.PAYMENT_CARD.ordinal()] = cards.low();
            }
        }

        private void confirm(String text, FindingKind kind, int start, int body) {
            int k = kind.ordinal();
            if (start < matchedUntil[k]) {
                return;
            }
            int end = switch (kind) {
                case AWS_ACCESS_KEY -> SecretShapes.awsAccessKey(text, start, body);
                case PRIVATE_KEY -> SecretShapes.privateKey(text, body);
                case GITHUB_TOKEN -> body - start == "github_pat_".length()
                                     ? shapes.githubFineGrainedToken(text, start, body)
                                     : shapes.githubClassicToken(text, start, body);
                case OPENAI_KEY -> shapes.openAiKey(text, start, body);
                case SLACK_TOKEN -> shapes.slackToken(text, start, body);
                case SLACK_WEBHOOK -> SecretShapes.slackWebhook(text, body);
                case GOOGLE_API_KEY -> SecretShapes.googleApiKey(text, start, body);
                case JWT -> shapes.jwt(text, start);
                case EMAIL -> PersonalData.email(text, start);
                case PHONE -> PersonalData.phone(text, start);
                case PAYMENT_CARD -> -1;
            };
            if (end >= 0) {
                counts[k]++;
                matchedUntil[k] = end;
            }
        }
    }
}
