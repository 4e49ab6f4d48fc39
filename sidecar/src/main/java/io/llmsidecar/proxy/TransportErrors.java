package io.llmsidecar.proxy;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.SidecarException;

import java.util.Locale;

/**
 * Requests Helidon refuses before routing (a malformed request line or header, a body with a
 * {@code Content-Encoding}, which it will not decode) still get an answer in the error shape of the API their path
 * names (Anthropic's below {@code /v1/messages}, else OpenAI's). They never reach the pipeline, so nothing of them
 * is forwarded either way.
 */
public final class TransportErrors {
    private TransportErrors() {
    }

    /** The handlers for the app socket. */
    public static DirectHandlers create() {
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, TransportErrors::handle);
        }
        return handlers.build();
    }

    private static DirectHandler.TransportResponse handle(DirectHandler.TransportRequest request,
                                                          DirectHandler.EventType type, Status status,
                                                          ServerResponseHeaders headers, String message) {
        // Helidon refuses every Content-Encoding before routing, and does not always say why in the message.
        boolean encoded = request.headers().contains(HeaderNames.CONTENT_ENCODING);
        SidecarException error = encoded && status.code() == 400
                ? SidecarException.unsupportedContentEncoding()
                : error(status, message == null ? "" : message);
        headers.set(HeaderValues.CONTENT_TYPE_JSON);
        return DirectHandler.TransportResponse.builder()
                .status(Status.create(error.status()))
                .headers(headers)
                .keepAlive(false)
                .entity(RouteTable.familyOf(request.path()).errorBody(error, null))
                .build();
    }

    static SidecarException error(Status status, String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        if (lower.contains("content encoding") || lower.contains("content-encoding")) {
            return SidecarException.unsupportedContentEncoding();
        }
        int code = status.code();
        if (code >= 500) {
            return SidecarException.internal("The sidecar failed to handle this request; see its log.");
        }
        String reason = RequestTarget.printable(message.length() > 120 ? message.substring(0, 120) : message);
        return new SidecarException(ErrorKind.INVALID, code, ErrorTypes.INVALID_REQUEST,
                                    code == 413 ? "request_too_large" : "invalid_request", null,
                                    "The sidecar could not accept this HTTP request (" + status.reasonPhrase()
                                    + (reason.isEmpty() ? "" : ": " + reason) + "); nothing was forwarded.");
    }
}
