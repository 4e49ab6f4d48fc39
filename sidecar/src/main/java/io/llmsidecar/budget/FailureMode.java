package io.llmsidecar.budget;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What the sidecar does with requests while the budget store cannot be reached. */
enum FailureMode {
    /** Admit, account locally and replay the usage into the store when it is back: availability over limits. */
    FAIL_OPEN,
    /** Refuse with 503 {@code budget_backend_unavailable}: limits over availability. */
    FAIL_CLOSED;

    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Optional<FailureMode> parse(String label) {
        return Arrays.stream(values()).filter(m -> m.label().equals(label.strip().toLowerCase(Locale.ROOT)))
                .findFirst();
    }
}
