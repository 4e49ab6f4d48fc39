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
                || isSidecarControl(name)) {
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
