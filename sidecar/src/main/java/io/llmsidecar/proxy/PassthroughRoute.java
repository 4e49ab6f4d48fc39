package io.llmsidecar.proxy;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One read-only route forwarded without policy or budget: an exact method and path, where a segment written
 * {@code {id}} matches exactly one path segment of letters, digits and {@code . _ ~ -} (never {@code .} or
 * {@code ..}). Written in config as {@code "GET /v1/models/{id}"}.
 *
 * @param method   the HTTP method, upper case; only {@code GET} is accepted (the routes are read-only)
 * @param segments the path's segments, {@code {id}} standing for any one segment
 */
record PassthroughRoute(String method, List<String> segments) {
    static final String WILDCARD = "{id}";
    /** The defaults: the model lists of the OpenAI API and of the gateway. */
    static final List<String> DEFAULTS = List.of("GET /v1/models", "GET /v1/models/{id}", "GET /models");

    PassthroughRoute {
        segments = List.copyOf(segments);
    }

    /** Parses {@code "GET /v1/models/{id}"}; empty with the reason in {@code problem} when it is not valid. */
    static Optional<PassthroughRoute> parse(String text, StringBuilder problem) {
        String[] parts = text.strip().split("\\s+");
        if (parts.length != 2) {
            problem.append("a method and a path separated by a space");
            return Optional.empty();
        }
        String method = parts[0].toUpperCase(Locale.ROOT);
        if (!method.equals("GET")) {
            problem.append("method GET (pass-through routes are read-only)");
            return Optional.empty();
        }
        String path = parts[1];
        if (!path.equals("/models") && !path.startsWith("/v1/")) {
            problem.append("a path under /v1/ or /models (other paths have no upstream)");
            return Optional.empty();
        }
        String[] segments = path.substring(1).split("/", -1);
        for (String segment : segments) {
            boolean plain = !segment.isEmpty() && !segment.equals(".") && !segment.equals("..")
                            && segment.chars().allMatch(c -> RequestTarget.safe((char) c));
            if (!plain && !segment.equals(WILDCARD)) {
                problem.append("path segments of letters, digits and . _ ~ -, or {id} for one segment");
                return Optional.empty();
            }
        }
        return Optional.of(new PassthroughRoute(method, List.of(segments)));
    }

    /** Whether the canonical {@code rawPath} is this route's path (the method is checked apart). */
    boolean matches(String rawPath) {
        int segment = 0;
        int start = 1;
        while (start <= rawPath.length()) {
            int end = rawPath.indexOf('/', start);
            if (end < 0) {
                end = rawPath.length();
            }
            if (segment >= segments.size()) {
                return false;
            }
            String expected = segments.get(segment);
            boolean same = end - start == expected.length() && rawPath.regionMatches(start, expected, 0, end - start);
            if (!same && !expected.equals(WILDCARD)) {
                return false;
            }
            segment++;
            start = end + 1;
        }
        return segment == segments.size();
    }

    /** Whether the route forwards to the gateway's pricing map rather than under its OpenAI base URL. */
    boolean gatewayModels() {
        return segments.equals(List.of("models"));
    }

    @Override
    public String toString() {
        return method + " /" + String.join("/", segments);
    }
}
