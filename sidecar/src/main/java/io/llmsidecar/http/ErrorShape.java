package io.llmsidecar.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.llmsidecar.openai.WireFamily;

/**
 * How errors of one request are written, registered in the request's context when it is routed: the API family's
 * shape, and the request id Anthropic's shape repeats in its body and {@code request-id} header.
 *
 * @param requestId the request's id, or {@code null} before one was assigned
 */
public record ErrorShape(WireFamily family, String requestId) {
    static final ErrorShape OPENAI = new ErrorShape(WireFamily.OPENAI, null);
    static final HeaderName ANTHROPIC_REQUEST_ID = HeaderNames.create(WireFamily.ANTHROPIC_REQUEST_ID);
}
