package io.llmsidecar.detect;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the detectors found in one request: per kind, how many matches (by {@link Confidence}) and in which parts of
 * the request. Never the matched text, so findings can be logged and handed to any policy.
 */
public final class Findings {
    /** Nothing found. */
    public static final Findings NONE = new Findings(new EnumMap<>(FindingKind.class));

    private final Map<FindingKind, Tally> tallies;

    /** Matches of one kind: how many of high and of low confidence, and the places (each once, in request order). */
    public record Tally(int high, int low, List<String> where) {
        public Tally {
            where = List.copyOf(where);
        }

        public int count() {
            return high + low;
        }

        /** The highest confidence among the matches. */
        public Confidence confidence() {
            return high > 0 ? Confidence.HIGH : Confidence.LOW;
        }
    }

    Findings(EnumMap<FindingKind, Tally> tallies) {
        this.tallies = Collections.unmodifiableMap(tallies);
    }

    public boolean isEmpty() {
        return tallies.isEmpty();
    }

    /** The kinds found, in {@link FindingKind} order. */
    public Set<FindingKind> kinds() {
        return tallies.keySet();
    }

    public int count(FindingKind kind) {
        Tally tally = tallies.get(kind);
        return tally == null ? 0 : tally.count();
    }

    public int count(FindingKind kind, Confidence confidence) {
        Tally tally = tallies.get(kind);
        return tally == null ? 0 : confidence == Confidence.HIGH ? tally.high() : tally.low();
    }

    /** The highest confidence among the matches of {@code kind}; empty when there are none. */
    public Optional<Confidence> confidence(FindingKind kind) {
        return Optional.ofNullable(tallies.get(kind)).map(Tally::confidence);
    }

    public List<String> where(FindingKind kind) {
        Tally tally = tallies.get(kind);
        return tally == null ? List.of() : tally.where();
    }

    /**
     * Writes the findings as one JSON object keyed by kind, the value of {@code input.findings}:
     * {@code {"payment_card":{"count":3,"where":["messages[1].content"],"confidence":"high","high":1,"low":2}}};
     * {@code confidence} is the highest of the kind's matches. {@code {}} when nothing was found.
     */
    public void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        for (Map.Entry<FindingKind, Tally> entry : tallies.entrySet()) {
            g.writeObjectFieldStart(entry.getKey().code());
            g.writeNumberField("count", entry.getValue().count());
            g.writeArrayFieldStart("where");
            for (String where : entry.getValue().where()) {
                g.writeString(where);
            }
            g.writeEndArray();
            g.writeStringField("confidence", entry.getValue().confidence().code());
            g.writeNumberField("high", entry.getValue().high());
            g.writeNumberField("low", entry.getValue().low());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Findings{");
        tallies.forEach((kind, tally) -> s.append(kind.code()).append('=').append(tally.count())
                .append(tally.low() > 0 ? "(" + tally.low() + " low)" : "").append(tally.where()).append(' '));
        return s.append('}').toString();
    }
}
