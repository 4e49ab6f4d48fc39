package io.llmsidecar.detect;

import java.util.Locale;

/**
 * How sure a detector is that a match is what it looks like. Credentials and personal data are matched by shapes
 * specific enough to be {@link #HIGH}; a card number is {@link #HIGH} only when something besides its digits says
 * it is a card (separators in a card layout, a word such as "card" or "cvv" nearby, a line of its own), and
 * {@link #LOW} when all there is is a run of digits that passes the issuer ranges and the Luhn check.
 */
public enum Confidence {
    LOW,
    HIGH;

    private final String code = name().toLowerCase(Locale.ROOT);

    /** The name policies see in {@code input.findings.<kind>.confidence}: {@code high} or {@code low}. */
    public String code() {
        return code;
    }
}
