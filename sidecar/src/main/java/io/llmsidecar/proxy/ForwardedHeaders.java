package io.llmsidecar.proxy;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of the app's request headers reach the gateway: only those on an allow-list, because several gateways take
 * routing and configuration from headers (a config header can pick the provider and model) and a header is a channel
 * past the detectors. The built-in entries are {@link #DEFAULTS}; operators add names or {@code prefix-*} entries in
 * {@code upstream.forward-headers}, but never one the sidecar controls (its credential, framing, the request id, the
 * method and path overrides, its own {@code x-llm-*}). Everything else is dropped, not refused: without it the gateway
 * does what the checked body says. Response headers all pass except the hop-by-hop ones.
 */
final class ForwardedHeaders {
    /** Hop-by-hop (RFC 9110 §7.6.1) and framing headers: each connection has its own. */
    private static final Set<HeaderName> HOP_BY_HOP = Set.of(
            HeaderNames.CONNECTION, HeaderNames.create("Keep-Alive"), HeaderNames.PROXY_AUTHENTICATE,
            HeaderNames.PROXY_AUTHORIZATION, HeaderNames.TE, HeaderNames.TRAILER, HeaderNames.TRANSFER_ENCODING,
            HeaderNames.UPGRADE, HeaderNames.HOST, HeaderNames.CONTENT_LENGTH, HeaderNames.EXPECT);
    /**
     * Headers some servers and gateways read to override the method or the path: the gateway must act on the
     * request the sidecar checked. Forwarded-for headers would let the app speak for the sidecar.
     */
    static final Set<String> OVERRIDES = Set.of(
            "x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url",
            "x-original-method", "x-forwarded-host", "x-forwarded-prefix", "x-forwarded-uri", "x-forwarded-path",
            "forwarded");
    /** Headers the sidecar controls, and why none of them can be put on the allow-list. */
    private static final Map<String, String> CONTROLLED = controlled();
    private static final String CONTROL_PREFIX = "x-llm-";

    /** The built-in allow-list, in the order the docs explain it. */
    static final List<String> DEFAULTS = List.of("content-type", "accept", "accept-encoding", "openai-beta",
                                                 "anthropic-version", "anthropic-beta", "user-agent",
                                                 "x-stainless-*", "x-claude-code-session-id");
    /** How many headers one prefix entry forwards at most, so that a prefix is no unbounded channel. */
    static final int MAX_PER_PREFIX = 16;

    private static final Pattern ENTRY = Pattern.compile("[!#$%&'+.^_`|~0-9a-z-]+\\*?|\\*");
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /**
     * One entry: a header name, or a prefix; the built-in ones bound the value (length, printable ASCII, or a
     * UUID), so that what they carry is telemetry-sized; an operator's entry forwards the value as sent.
     */
    private record Entry(String name, boolean prefix, int maxLength, Pattern shape) {
        boolean accepts(List<String> values) {
            if (maxLength == Integer.MAX_VALUE) {
                return true;                                // the operator's entry: its values as sent
            }
            for (String v : values) {
                if (v.length() > maxLength || !printable(v) || (shape != null && !shape.matcher(v).matches())) {
                    return false;
                }
            }
            return true;
        }
    }

    private final Map<String, Entry> names = new LinkedHashMap<>();
    private final List<Entry> prefixes = new ArrayList<>();

    private ForwardedHeaders(List<Entry> entries) {
        for (Entry entry : entries) {
            if (entry.prefix()) {
                if (prefixes.stream().noneMatch(e -> e.name().equals(entry.name()))) {
                    prefixes.add(entry);
                }
            } else {
                names.putIfAbsent(entry.name(), entry);
            }
        }
    }

    /** The built-in allow-list plus the operator's entries, each already accepted by {@link #problem}. */
    static ForwardedHeaders create(List<String> extra) {
        List<Entry> entries = new ArrayList<>();
        entries.add(new Entry("content-type", false, 256, null));
        entries.add(new Entry("accept", false, 256, null));
        entries.add(new Entry("accept-encoding", false, 256, null));
        entries.add(new Entry("openai-beta", false, 256, null));
        entries.add(new Entry("anthropic-version", false, 64, null));
        entries.add(new Entry("anthropic-beta", false, 512, null));
        entries.add(new Entry("user-agent", false, 256, null));
        entries.add(new Entry("x-stainless-", true, 64, null));
        entries.add(new Entry("x-claude-code-session-id", false, 36, UUID));
        for (String raw : extra) {
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            problem(entry).ifPresent(p -> {
                throw new IllegalArgumentException("upstream.forward-headers: " + entry + ": " + p);
            });
            boolean prefix = entry.endsWith("*");
            entries.add(new Entry(prefix ? entry.substring(0, entry.length() - 1) : entry, prefix,
                                  Integer.MAX_VALUE, null));
        }
        return new ForwardedHeaders(entries);
    }

    /**
     * Why {@code entry} cannot be on the allow-list, or empty when it can: it must be a header name or a prefix
     * ending in {@code *}, and name (or, as a prefix, cover) no header the sidecar controls.
     */
    static Optional<String> problem(String entry) {
        String e = entry.strip().toLowerCase(Locale.ROOT);
        if (!ENTRY.matcher(e).matches()) {
            return Optional.of("a header name, or a prefix ending in '*' such as x-acme-*");
        }
        boolean prefix = e.endsWith("*");
        String name = prefix ? e.substring(0, e.length() - 1) : e;
        for (Map.Entry<String, String> c : CONTROLLED.entrySet()) {
            if (prefix ? c.getKey().startsWith(name) : c.getKey().equals(name)) {
                return Optional.of("a header the sidecar does not control; " + (prefix ? e + " would cover " : "")
                                   + c.getKey() + " " + c.getValue());
            }
        }
        if (name.startsWith(CONTROL_PREFIX) || (prefix && CONTROL_PREFIX.startsWith(name))) {
            return Optional.of("a header the sidecar does not control; x-llm-* are the sidecar's own control "
                               + "headers, read in the pod and never forwarded");
        }
        return Optional.empty();
    }

    /**
     * Copies the app's allow-listed request headers. On governed routes {@code Accept} and {@code Accept-Encoding}
     * are left to the caller, which sets them: the sidecar must read a JSON or event-stream answer it can settle.
     *
     * @param keepAuthorization whether the app's {@code Authorization} passes (explicit pass-through mode)
     * @param governed          whether this is a governed route (a checked body) rather than a read-only one
     */
    void copyRequest(Headers from, WritableHeaders<?> to, boolean keepAuthorization, boolean governed) {
        int[] perPrefix = new int[prefixes.size()];
        for (Header header : from) {
            String lower = header.headerName().lowerCase();
            if (keepAuthorization && lower.equals("authorization")) {
                to.add(header);
                continue;
            }
            if (governed && (lower.equals("accept") || lower.equals("accept-encoding")
                             || lower.equals("content-type"))) {
                continue;
            }
            if (CONTROLLED.containsKey(lower) || lower.startsWith(CONTROL_PREFIX)) {
                continue;                                   // never, whatever the list says
            }
            Entry entry = names.get(lower);
            int slot = -1;
            if (entry == null) {
                for (int i = 0; i < prefixes.size() && entry == null; i++) {
                    if (lower.startsWith(prefixes.get(i).name())) {
                        entry = prefixes.get(i);
                        slot = i;
                    }
                }
            }
            if (entry == null || !entry.accepts(header.allValues())
                || (slot >= 0 && ++perPrefix[slot] > MAX_PER_PREFIX)) {
                continue;
            }
            to.add(header);
        }
    }

    /** Copies the gateway's response headers that may reach the app. */
    static void copyResponse(Headers from, WritableHeaders<?> to) {
        for (Header header : from) {
            if (!HOP_BY_HOP.contains(header.headerName())) {
                to.set(header);
            }
        }
    }

    private static boolean printable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> controlled() {
        Map<String, String> m = new LinkedHashMap<>();
        String credential = "is a credential: the sidecar sends its own key, and the app's never reaches the gateway "
                            + "(upstream.forward-client-authorization is the explicit pass-through of Authorization)";
        for (String name : List.of("authorization", "proxy-authorization", "x-api-key", "api-key")) {
            m.put(name, credential);
        }
        for (String name : List.of("host", "content-length", "transfer-encoding", "connection", "keep-alive", "te",
                                   "trailer", "upgrade", "expect", "proxy-authenticate", "proxy-connection")) {
            m.put(name, "belongs to one HTTP connection (hop-by-hop or framing); the sidecar's client sets its own");
        }
        m.put("content-encoding", "is refused on governed routes (415): the sidecar forwards only bodies it read");
        m.put("x-request-id", "is set by the sidecar (the app's value is kept when it is a valid id)");
        String trace = "is set by the sidecar from its own span (W3C Trace Context: the app's trace continues through "
                       + "the sidecar, which is the gateway's parent)";
        m.put("traceparent", trace);
        m.put("tracestate", trace);
        for (String name : OVERRIDES) {
            m.put(name, "asks servers to override the method or path the sidecar checked");
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
