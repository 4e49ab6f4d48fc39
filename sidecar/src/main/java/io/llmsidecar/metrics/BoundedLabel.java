package io.llmsidecar.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caps the distinct values of a label fed from request data (a team header, say): the first {@code limit} values
 * are kept, later ones are counted as {@code other}, so no caller can blow up Prometheus' series count.
 */
final class BoundedLabel {
    static final String OTHER = "other";

    private final int limit;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedLabel(int limit) {
        this.limit = limit;
    }

    String of(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() < limit) {
            seen.add(value);
            return value;
        }
        return OTHER;
    }
}
