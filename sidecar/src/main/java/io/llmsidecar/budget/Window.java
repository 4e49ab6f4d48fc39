package io.llmsidecar.budget;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** A budget's accounting period, aligned to the UTC calendar: a day budget resets at 00:00 UTC. */
enum Window {
    MINUTE, HOUR, DAY, MONTH;

    static final String NAMES = Arrays.stream(values()).map(Window::label).collect(Collectors.joining(", "));

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<Window> parse(String label) {
        return Arrays.stream(values()).filter(w -> w.label().equals(label.strip().toLowerCase(Locale.ROOT)))
                .findFirst();
    }

    /** The start of the window {@code at} falls in. */
    Instant start(Instant at) {
        // UTC has no leap seconds in java.time, so minutes, hours and days are plain divisions (on every request).
        return switch (this) {
            case MINUTE -> floor(at, 60);
            case HOUR -> floor(at, 3600);
            case DAY -> floor(at, 86_400);
            case MONTH -> LocalDateTime.ofInstant(at, ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1)
                    .toInstant(ZoneOffset.UTC);
        };
    }

    private static Instant floor(Instant at, long seconds) {
        return Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), seconds) * seconds);
    }

    /** The end (exclusive) of the window starting at {@code start}. */
    Instant end(Instant start) {
        LocalDateTime s = LocalDateTime.ofInstant(start, ZoneOffset.UTC);
        LocalDateTime end = switch (this) {
            case MINUTE -> s.plusMinutes(1);
            case HOUR -> s.plusHours(1);
            case DAY -> s.plusDays(1);
            case MONTH -> s.plusMonths(1);
        };
        return end.toInstant(ZoneOffset.UTC);
    }
}
