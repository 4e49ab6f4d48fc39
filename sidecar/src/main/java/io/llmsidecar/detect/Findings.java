package io.llmsidecar.detect;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the detectors found in one request: per kind, how many matches and in which parts of the request. Never the
 * matched text, so findings can be logged and handed to any policy.
 */
public final class Findings {
    /** Nothing found. */
    public static final Findings NONE = new Findings(new EnumMap<>(FindingKind.class));

    private final Map<FindingKind, Tally> tallies;

    /** Matches of one kind: how many, and the places (each once, in request order). */
    public record Tally(int count, List<String> where) {
        public Tally {
            where = List.copyOf(where);
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

    public List<String> where(FindingKind kind) {
        Tally tally = tallies.get(kind);
        return tally == null ? List.of() : tally.where();
    }

    /**
     * Writes the findings as one JSON object keyed by kind, the value of {@code input.findings}:
     * {@code {"aws_access_key":{"count":2,"where":["messages[1].content"]}}}; {@code {}} when nothing was found.
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
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("Findings{");
        tallies.forEach((kind, tally) -> s.append(kind.code()).append('=').append(tally.count())
                .append(tally.where()).append(' '));
        return s.append('}').toString();
    }
}
