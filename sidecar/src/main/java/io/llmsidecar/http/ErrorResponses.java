package io.llmsidecar.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.HttpException;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.llmsidecar.openai.ErrorKind;
import io.llmsidecar.openai.ErrorTypes;
import io.llmsidecar.openai.SidecarException;
import io.llmsidecar.openai.WireFamily;

import java.lang.System.Logger.Level;

/**
 * The one place errors become responses, in the error shape of the API called: the app socket's router registers
 * an {@link ErrorShape} in the request's context, and everything else (the admin socket, a request refused before
 * routing) answers in the OpenAI shape. Registered on both sockets so that even a failure the pipeline did not
 * foresee answers {@code {"error":{...}}} rather than an HTML page.
 */
public final class ErrorResponses {
    private static final System.Logger LOG = System.getLogger(ErrorResponses.class.getName());
    /** Read by the OpenAI and Anthropic SDKs (and Claude Code): {@code false} stops their automatic retries. */
    private static final HeaderName SHOULD_RETRY = HeaderNames.create("x-should-retry");

    private ErrorResponses() {
    }

    /** The error handlers of a socket: the sidecar's own errors, Helidon's, and anything unforeseen. */
    public static HttpRouting.Builder install(HttpRouting.Builder routing) {
        return routing
                .error(SidecarException.class, ErrorResponses::write)
                .error(HttpException.class, ErrorResponses::write)
                .error(Exception.class, ErrorResponses::unexpected);
    }

    public static void write(ServerRequest req, ServerResponse res, SidecarException e) {
        if (res.isSent()) {
            return;
        }
        ErrorShape shape = req.context().get(ErrorShape.class).orElse(ErrorShape.OPENAI);
        res.status(Status.create(e.status()));
        e.headers().forEach((name, value) -> res.header(HeaderNames.create(name), value));
        if (!e.kind().retryable()) {
            res.header(SHOULD_RETRY, "false");
        }
        if (shape.family() == WireFamily.ANTHROPIC && shape.requestId() != null) {
            res.header(ErrorShape.ANTHROPIC_REQUEST_ID, shape.requestId());
        }
        res.headers().set(HeaderValues.CONTENT_TYPE_JSON);
        res.send(shape.family().errorBody(e, shape.requestId()));
    }

    /** Helidon's own HTTP errors (a malformed request line, say) keep their status, in the OpenAI shape. */
    public static void write(ServerRequest req, ServerResponse res, HttpException e) {
        int status = e.status().code();
        boolean ours = status >= 500;
        write(req, res, new SidecarException(ours ? ErrorKind.SIDECAR_FAILURE : ErrorKind.INVALID, status,
                                             ours ? ErrorTypes.SERVER : ErrorTypes.INVALID_REQUEST,
                                             ours ? "internal_error" : "invalid_request", null,
                                             e.status().reasonPhrase() + "."));
    }

    /** A bug or an unforeseen failure: 500, with details in the log (never the request body) and not in the reply. */
    public static void unexpected(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(Level.ERROR, "Unexpected failure handling " + req.prologue().method().text() + " "
                             + req.path().absolute().rawPath(), e);
        write(req, res, SidecarException.internal("The sidecar failed to handle this request; see its log."));
    }
}
