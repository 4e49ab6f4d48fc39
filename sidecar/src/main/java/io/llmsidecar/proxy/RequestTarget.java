package io.llmsidecar.proxy;

import io.llmsidecar.openai.SidecarException;

/**
 * The app's request target exactly as it arrived on the wire. Servers and gateways normalize paths differently
 * (a trailing slash, {@code //}, {@code /./}, {@code ..}, {@code %2F}, matrix parameters), so a path that is not
 * already canonical could reach a route the sidecar never checked. It is refused, never normalized.
 */
final class RequestTarget {
    static final int MAX_LENGTH = 2048;

    private RequestTarget() {
    }

    /**
     * Refuses with 400 {@code non_canonical_path} a path that is not a plain {@code /segment/segment}: origin-form,
     * each segment non-empty, made of letters, digits and {@code . _ ~ -}, and neither {@code .} nor {@code ..}.
     */
    static void requireCanonical(String rawPath) {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            throw refused(rawPath, "only origin-form request targets are accepted (the path alone, such as "
                                   + "/v1/chat/completions), not an absolute URI or an authority");
        }
        if (rawPath.equals("/")) {
            return;
        }
        if (rawPath.length() > MAX_LENGTH) {
            throw refused(rawPath, "the path is longer than " + MAX_LENGTH + " characters");
        }
        int segmentStart = 1;
        for (int i = 1; i <= rawPath.length(); i++) {
            char c = i < rawPath.length() ? rawPath.charAt(i) : '/';
            if (c == '/') {
                int length = i - segmentStart;
                if (length == 0) {
                    throw refused(rawPath, i == rawPath.length() ? "it ends with a slash" : "it contains '//'");
                }
                if (rawPath.charAt(segmentStart) == '.' && (length == 1
                        || length == 2 && rawPath.charAt(segmentStart + 1) == '.')) {
                    throw refused(rawPath, "it contains a '.' or '..' segment");
                }
                segmentStart = i + 1;
            } else if (c == '%') {
                throw refused(rawPath, "it contains percent-encoding");
            } else if (c == ';') {
                throw refused(rawPath, "it contains ';' (matrix parameters)");
            } else if (!safe(c)) {
                throw refused(rawPath, "it contains a character other than letters, digits and . _ ~ -");
            }
        }
    }

    static boolean safe(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
               || c == '.' || c == '_' || c == '~' || c == '-';
    }

    private static SidecarException refused(String rawPath, String why) {
        return SidecarException.invalidRequest("non_canonical_path", null,
                "Refused request target " + printable(rawPath) + ": " + why + ". The sidecar routes exact paths "
                + "only and never normalizes one, so send the canonical path, such as POST /v1/chat/completions.");
    }

    /** At most 200 printable ASCII characters of what the app sent, for messages and logs. */
    static String printable(String raw) {
        StringBuilder b = new StringBuilder(Math.min(raw.length(), 200) + 3);
        for (int i = 0; i < raw.length() && i < 200; i++) {
            char c = raw.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return raw.length() > 200 ? b.append("...").toString() : b.toString();
    }
}
