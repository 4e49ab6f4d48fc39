package io.llmsidecar.budget;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WindowTest {
    private final Instant at = Instant.parse("2024-02-29T13:45:12.345Z");

    @Test
    void alignsToTheUtcCalendar() {
        assertEquals(Instant.parse("2024-02-29T13:45:00Z"), Window.MINUTE.start(at));
        assertEquals(Instant.parse("2024-02-29T13:00:00Z"), Window.HOUR.start(at));
        assertEquals(Instant.parse("2024-02-29T00:00:00Z"), Window.DAY.start(at));
        assertEquals(Instant.parse("2024-02-01T00:00:00Z"), Window.MONTH.start(at));
    }

    @Test
    void endsWhereTheNextWindowStarts() {
        assertEquals(Instant.parse("2024-03-01T00:00:00Z"), Window.DAY.end(Window.DAY.start(at)));
        assertEquals(Instant.parse("2024-03-01T00:00:00Z"), Window.MONTH.end(Window.MONTH.start(at)));
        assertEquals(Instant.parse("2024-02-29T14:00:00Z"), Window.HOUR.end(Window.HOUR.start(at)));
    }
}
