package io.llmsidecar.budget;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a reservation that outlived its TTL (its sidecar was killed mid-request) means for its budget. The gateway
 * may have served the request, so the default bills what was held: a budget then never overshoots.
 */
enum ExpiredReservations {
    /** Bill what the reservation held, as if the request had used it all; a late settlement replaces the charge. */
    CHARGE,
    /** Free what it held, as if the request had used nothing; a late settlement adds the real usage. */
    RELEASE;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<ExpiredReservations> parse(String label) {
        return Arrays.stream(values()).filter(m -> m.label().equals(label.strip().toLowerCase(Locale.ROOT)))
                .findFirst();
    }
}
