package io.llmsidecar.budget;

import io.llmsidecar.identity.Subject;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** A fact about a request that splits a budget or rate limit into one counter per distinct value. */
enum Scope {
    TEAM, USER, APP, NAMESPACE, MODEL;

    static final String NAMES = Arrays.stream(values()).map(Scope::label).collect(Collectors.joining(", "));
    /** The key of a counter shared by every request: a budget or limit with an empty scope. */
    static final String GLOBAL_KEY = "*";

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<Scope> parse(String label) {
        return Arrays.stream(values()).filter(s -> s.label().equals(label.strip().toLowerCase(Locale.ROOT)))
                .findFirst();
    }

    String valueOf(Subject subject, String model) {
        return switch (this) {
            case TEAM -> subject.team();
            case USER -> subject.user();
            case APP -> subject.app();
            case NAMESPACE -> subject.namespace();
            case MODEL -> model;
        };
    }

    /**
     * The counter key for these scopes, e.g. {@code team=payments,user=alice}. Values are escaped so that no choice of
     * header value can make two different tuples share a counter (or a slash split an admin URL).
     */
    static String key(List<Scope> scopes, Subject subject, String model) {
        if (scopes.isEmpty()) {
            return GLOBAL_KEY;
        }
        StringBuilder b = new StringBuilder(32);
        for (Scope scope : scopes) {
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(scope.label()).append('=');
            escape(scope.valueOf(subject, model), b);
        }
        return b.toString();
    }

    private static void escape(String value, StringBuilder b) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%' || c == ',' || c == '=' || c == '/' || c < 0x20 || c == 0x7f) {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4 & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            } else {
                b.append(c);
            }
        }
    }
}
