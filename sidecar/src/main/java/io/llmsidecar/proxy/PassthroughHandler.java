package io.llmsidecar.proxy;

import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.openai.SidecarException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.OptionalLong;

/**
 * Forwards a request of the read-only allow-list ({@link PassthroughRoute}: the model lists by default) with the
 * sidecar's key, without policy or budget. Such a request carries no body; one that does is refused, so nothing
 * can be smuggled through. Answers the gateway sized up front are relayed whole; others are flushed as they arrive.
 */
final class PassthroughHandler {
    private static final int WHOLE_LIMIT = 1024 * 1024;

    private final UpstreamClient upstream;

    PassthroughHandler(UpstreamClient upstream) {
        this.upstream = upstream;
    }

    /** {@code /models} to the gateway's pricing map; {@code /v1/<rest>} to the gateway's base URL plus {@code <rest>}. */
    private URI target(PassthroughRoute route, String rawPath, String rawQuery) {
        if (route.gatewayModels()) {
            return upstream.modelsUrl();
        }
        return upstream.resolve(rawPath.substring("/v1".length()), rawQuery);
    }

    /** Forwards one request; the router has made its {@link Exchange} and records it. */
    void handle(PassthroughRoute route, ServerRequest req, ServerResponse res, Exchange ex) {
        Method method = req.prologue().method();
        String rawPath = ex.path;
        try {
            if (req.content().hasEntity()) {
                throw SidecarException.invalidRequest("unexpected_body", null,
                        route + " is a read-only route and takes no request body.");
            }
            URI target = target(route, rawPath, req.query().rawValue());
            try (HttpClientResponse response = upstream.forward(method, target, req.headers(), ex.requestId,
                                                                ex.trace.upstreamCall(method.text(), target),
                                                                InputStream.nullInputStream(), false)) {
                ex.status = response.status().code();
                ex.outcome = Outcome.PASSTHROUGH;
                res.status(response.status());
                ForwardedHeaders.copyResponse(response.headers(), res.headers());
                relay(response, res);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void relay(HttpClientResponse response, ServerResponse res) throws IOException {
        OptionalLong length = response.headers().contentLength();
        InputStream in = response.inputStream();
        if (length.isPresent() && length.getAsLong() <= WHOLE_LIMIT) {
            byte[] whole;
            try {
                whole = in.readAllBytes();
            } catch (RuntimeException e) {
                throw UpstreamClient.failure(e);
            }
            res.send(whole);
            return;
        }
        byte[] buf = new byte[16 * 1024];
        try (OutputStream out = res.outputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
    }
}
