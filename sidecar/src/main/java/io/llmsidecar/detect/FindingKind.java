package io.llmsidecar.detect;

import java.util.Locale;
import java.util.Optional;

/**
 * What a detector can find in prompt text. {@link #code()} is the key in {@code input.findings} and in
 * {@code data.config.findings}; PII kinds are off unless {@code policy.detectors.pii} names them.
 */
public enum FindingKind {
    AWS_ACCESS_KEY(false),
    PRIVATE_KEY(false),
    GITHUB_TOKEN(false),
    OPENAI_KEY(false),
    SLACK_TOKEN(false),
    SLACK_WEBHOOK(false),
    GOOGLE_API_KEY(false),
    JWT(false),
    PAYMENT_CARD(false),
    EMAIL(true),
    PHONE(true);

    private final boolean pii;
    private final String code;

    FindingKind(boolean pii) {
        this.pii = pii;
        this.code = name().toLowerCase(Locale.ROOT);
    }

    /** The snake_case name policies use, e.g. {@code aws_access_key}. */
    public String code() {
        return code;
    }

    /** Personal data rather than a credential: detected only when configured. */
    public boolean pii() {
        return pii;
    }

    public static Optional<FindingKind> ofCode(String code) {
        for (FindingKind kind : values()) {
            if (kind.code.equals(code)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
