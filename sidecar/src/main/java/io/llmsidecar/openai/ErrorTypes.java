package io.llmsidecar.openai;

/** The OpenAI error {@code type} values the sidecar uses. SDKs branch on the status code; these keep logs readable. */
public final class ErrorTypes {
    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String PERMISSION = "permission_error";
    public static final String AUTHENTICATION = "authentication_error";
    public static final String RATE_LIMIT = "rate_limit_error";
    public static final String INSUFFICIENT_QUOTA = "insufficient_quota";
    public static final String SERVER = "server_error";

    private ErrorTypes() {
    }
}
