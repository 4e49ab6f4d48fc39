package io.llmsidecar.proxy;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;

import java.util.Set;

/**
 * Which headers cross the sidecar. Hop-by-hop headers never do (RFC 9110 §7.6.1); the app's {@code Authorization}
 * is replaced by the sidecar's key unless pass-through mode is on; the sidecar's own {@code x-llm-*} control headers
 * stay in the pod.
 */
final class ForwardedHeaders {
    private static final Set<HeaderName> HOP_BY_HOP = Set.of(
            HeaderNames.CONNECTION, HeaderNames.create("Keep-Alive"), HeaderNames.PROXY_AUTHENTICATE,
            HeaderNames.PROXY_AUTHORIZATION, HeaderNames.TE, HeaderNames.TRAILER, HeaderNames.TRANSFER_ENCODING,
            HeaderNames.UPGRADE, HeaderNames.HOST, HeaderNames.CONTENT_LENGTH, HeaderNames.EXPECT);
    /**
     * Headers some servers and gateways read to override the method or the path: the gateway must act on the
     * request the sidecar checked, so these never cross. {@code Content-Encoding} of governed requests is refused
     * before this (415); forwarded-for headers would let the app speak for the sidecar.
     */
    private static final Set<String> OVERRIDES = Set.of(
            "x-http-method-override", "x-http-method", "x-method-override", "x-original-url", "x-rewrite-url",
            "x-original-method", "x-forwarded-host", "x-forwarded-prefix", "x-forwarded-uri", "x-forwarded-path",
            "forwarded");

    private ForwardedHeaders() {
    }

    /**
     * Copies the app's request headers that may reach the gateway.
     *
     * @param keepEncoding whether {@code Accept-Encoding} may pass; chat completions drop it because the sidecar
     *                     must read the response's {@code usage}
     */
    static void copyRequest(Headers from, WritableHeaders<?> to, boolean keepAuthorization, boolean keepEncoding) {
        for (Header header : from) {
            HeaderName name = header.headerName();
            if (HOP_BY_HOP.contains(name)
                || (!keepAuthorization && name.equals(HeaderNames.AUTHORIZATION))
                || (!keepEncoding && name.equals(HeaderNames.ACCEPT_ENCODING))
                || isSidecarControl(name)
                || OVERRIDES.contains(name.lowerCase())) {
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

    private static boolean isSidecarControl(HeaderName name) {
        String lower = name.lowerCase();
        return lower.length() > 6 && lower.startsWith("x-llm-");
    }
}
