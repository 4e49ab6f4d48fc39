package io.llmsidecar.openai;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every error the sidecar answers itself: what it stands for ({@link ErrorKind}, from which the request's outcome
 * follows), an HTTP status, the OpenAI error {@code type}, a stable snake_case {@code code} (which doubles as a metric
 * label) and, for bad input, the offending {@code param}.
 *
 * <p>Rejections are expected traffic, not bugs, so the exception carries no stack trace.
 */
public final class SidecarException extends RuntimeException {
    private final ErrorKind kind;
    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Map<String, List<String>> listFields = new LinkedHashMap<>();

    public SidecarException(ErrorKind kind, int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.kind = kind;
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400: the request body is not usable; {@code param} names the field, or is {@code null} for the body. */
    public static SidecarException invalidRequest(String code, String param, String message) {
        return new SidecarException(ErrorKind.INVALID, 400, ErrorTypes.INVALID_REQUEST, code, param, message);
    }

    public static SidecarException notFound(String path) {
        return new SidecarException(ErrorKind.INVALID, 404, ErrorTypes.INVALID_REQUEST, "not_found",
                                    null, "Unknown path " + path + ". The sidecar serves the OpenAI API under /v1 "
                                          + "(for example POST /v1/chat/completions) and GET /models.");
    }

    public static SidecarException methodNotAllowed(String method, String path, String allowed) {
        return new SidecarException(ErrorKind.INVALID, 405, ErrorTypes.INVALID_REQUEST, "method_not_allowed", null,
                                    "Method " + method + " is not allowed on " + path + "; use " + allowed + ".")
                .withHeader("Allow", allowed);
    }

    public static SidecarException tooLarge(long limit) {
        return new SidecarException(ErrorKind.INVALID, 413, ErrorTypes.INVALID_REQUEST, "request_too_large", null,
                                    "The request body is larger than the sidecar's limit of " + limit
                                    + " bytes (server.max-body-size, SIDECAR_MAX_BODY_SIZE).");
    }

    /**
     * 415: a body with a {@code Content-Encoding}. The sidecar must read the body it checks and never forwards one it
     * did not; the web server does not decode bodies, so any Content-Encoding header, even {@code identity}, is
     * refused.
     */
    public static SidecarException unsupportedContentEncoding() {
        return new SidecarException(ErrorKind.INVALID, 415, ErrorTypes.INVALID_REQUEST, "unsupported_content_encoding",
                                    null,
                                    "A Content-Encoding is not accepted: the sidecar must read the body it checks. "
                                    + "Send the JSON body uncompressed, without a Content-Encoding header.");
    }

    /** 415: a body declared as something other than JSON. */
    public static SidecarException unsupportedMediaType(String type) {
        return new SidecarException(ErrorKind.INVALID, 415, ErrorTypes.INVALID_REQUEST, "unsupported_media_type", null,
                                    "Content-Type '" + type + "' is not accepted; send the body as "
                                    + "application/json (UTF-8).");
    }

    public static SidecarException upstreamUnreachable(String detail) {
        return new SidecarException(ErrorKind.UPSTREAM_ERROR, 502, ErrorTypes.SERVER, "upstream_unreachable", null,
                                    "The sidecar could not reach the AI gateway: " + detail + ".");
    }

    public static SidecarException upstreamTimeout(String detail) {
        return new SidecarException(ErrorKind.UPSTREAM_ERROR, 504, ErrorTypes.SERVER, "upstream_timeout", null,
                                    "The AI gateway did not answer in time: " + detail + ".");
    }

    /**
     * The gateway answered an error status with a body that is not JSON (a load balancer's HTML page, plain text):
     * the status is kept, the body is not relayed (it may be large and says nothing an app can act on).
     */
    public static SidecarException upstreamErrorNotJson(int status, String contentType, int bytes) {
        return new SidecarException(ErrorKind.UPSTREAM_ERROR, status,
                                    status >= 500 ? ErrorTypes.SERVER : ErrorTypes.INVALID_REQUEST,
                                    "upstream_error", null,
                                    "The AI gateway (or a proxy in front of it) answered HTTP " + status
                                    + " with a non-JSON body (" + describe(contentType, bytes) + "), which the "
                                    + "sidecar does not relay. Check the gateway's health and upstream.url.");
    }

    /** The gateway answered success with something that is not an answer of the API the app called. */
    public static SidecarException upstreamInvalidResponse(int status, String expected, String contentType,
                                                           int bytes) {
        return new SidecarException(ErrorKind.UPSTREAM_INVALID_RESPONSE, 502, ErrorTypes.SERVER,
                                    "upstream_invalid_response", null,
                                    "The AI gateway answered HTTP " + status + " with a body that is not " + expected
                                    + " (" + describe(contentType, bytes) + "); it is not relayed."
                                    + (status / 100 == 2 ? " Nothing was generated that the sidecar could read; the "
                                                           + "prompt is billed as an estimate." : ""));
    }

    /** A JSON answer cut short before the sidecar sent the app anything: the app gets this instead of half a body. */
    public static SidecarException upstreamCutOff(int received, String expected) {
        return new SidecarException(ErrorKind.UPSTREAM_INTERRUPTED, 502, ErrorTypes.SERVER, "upstream_interrupted",
                                    null,
                                    "The AI gateway's answer broke off after " + received + " bytes" + expected
                                    + " (connection lost or idle longer than upstream.read-timeout); the partial "
                                    + "answer is not relayed and the prompt is billed as an estimate. Retry the "
                                    + "request.");
    }

    private static String describe(String contentType, int bytes) {
        return (contentType == null || contentType.isEmpty() ? "no Content-Type" : "Content-Type " + contentType)
               + ", " + bytes + " bytes";
    }

    /**
     * The gateway's own {@code error} event in a stream: relayed to the app as it was; this only records the
     * outcome.
     */
    public static SidecarException upstreamErrorEvent() {
        return new SidecarException(ErrorKind.UPSTREAM_ERROR, 502, ErrorTypes.SERVER, "upstream_error", null,
                                    "The AI gateway ended the stream with an error event.");
    }

    /** A stream that broke off after its first bytes: reported to the app as a final {@code error} event. */
    public static SidecarException upstreamInterrupted() {
        return new SidecarException(ErrorKind.UPSTREAM_INTERRUPTED, 502, ErrorTypes.SERVER, "upstream_interrupted",
                                    null,
                                    "The AI gateway stopped sending in the middle of the stream (connection lost, "
                                    + "closed before the stream's end or idle longer than upstream.read-timeout); "
                                    + "what was streamed is billed.");
    }

    /** A stream still open when the drain on SIGTERM reached {@code server.drain-timeout}. */
    public static SidecarException shuttingDown() {
        return new SidecarException(ErrorKind.SIDECAR_FAILURE, 503, ErrorTypes.SERVER, "sidecar_shutting_down", null,
                                    "The LLM sidecar is shutting down (the pod is stopping) and ended this stream at "
                                    + "its drain deadline (server.drain-timeout); what was streamed is billed. "
                                    + "Retry the request; it will reach another replica.");
    }

    /**
     * 503: the bodies in flight fill {@code server.max-inflight-body-bytes} and this request's found no room within
     * {@code server.inflight-body-wait}. Refused before the body is read, so nothing was forwarded.
     * {@code Retry-After: 1}: the room comes back as the requests in flight end.
     */
    public static SidecarException bodiesInFlightFull(long waitedMillis) {
        return new SidecarException(ErrorKind.SIDECAR_FAILURE, 503, ErrorTypes.SERVER, "sidecar_overloaded", null,
                                    "The LLM sidecar already holds as many request and answer bodies in memory as "
                                    + "its limit allows (server.max-inflight-body-bytes, "
                                    + "SIDECAR_MAX_INFLIGHT_BODY_BYTES) and found no room within " + waitedMillis
                                    + " ms (server.inflight-body-wait). This request was not forwarded; retry it "
                                    + "shortly.")
                .withHeader("Retry-After", "1");
    }

    public static SidecarException internal(String message) {
        return new SidecarException(ErrorKind.SIDECAR_FAILURE, 500, ErrorTypes.SERVER, "internal_error", null, message);
    }

    public SidecarException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Adds a list-valued field to the error object, such as the policy reason codes behind a denial. */
    public SidecarException withListField(String name, List<String> values) {
        listFields.put(name, List.copyOf(values));
        return this;
    }

    /** What the error stands for, whatever its code says in detail: the request's outcome follows from it. */
    public ErrorKind kind() {
        return kind;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public Optional<String> param() {
        return Optional.ofNullable(param);
    }

    public Map<String, String> headers() {
        return headers;
    }

    public Map<String, List<String>> listFields() {
        return listFields;
    }
}
