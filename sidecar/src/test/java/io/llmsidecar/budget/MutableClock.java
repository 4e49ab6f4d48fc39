package io.llmsidecar.budget;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock a test moves forward. */
final class MutableClock extends Clock {
    private volatile Instant at;

    MutableClock(Instant at) {
        this.at = at;
    }

    void advance(Duration d) {
        at = at.plus(d);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return at;
    }
}
