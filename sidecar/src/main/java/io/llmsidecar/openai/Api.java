package io.llmsidecar.openai;

/**
 * The OpenAI API dialects the sidecar governs. Each is one {@code POST} route on the app socket, one upstream path
 * under the gateway's base URL and one adapter that reads its body into an {@link ApiRequest}.
 */
public enum Api {
    CHAT_COMPLETIONS("chat.completions", "/v1/chat/completions", "/chat/completions"),
    RESPONSES("responses", "/v1/responses", "/responses"),
    EMBEDDINGS("embeddings", "/v1/embeddings", "/embeddings"),
    COMPLETIONS("completions", "/v1/completions", "/completions");

    private final String label;
    private final String route;
    private final String upstreamPath;

    Api(String label, String route, String upstreamPath) {
        this.label = label;
        this.route = route;
        this.upstreamPath = upstreamPath;
    }

    /** The name policies see as {@code input.request.api} and metrics as the {@code api} label. */
    public String label() {
        return label;
    }

    /** The app-facing path, e.g. {@code /v1/chat/completions}. */
    public String route() {
        return route;
    }

    /** The path below the gateway's base URL the request is forwarded to. */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** Reads and validates a body of this dialect; 400 naming the parameter at fault. */
    public ApiRequest parse(byte[] body) {
        return switch (this) {
            case CHAT_COMPLETIONS -> ChatRequest.parse(body);
            case RESPONSES -> ResponsesRequest.parse(body);
            case EMBEDDINGS -> EmbeddingsRequest.parse(body);
            case COMPLETIONS -> CompletionsRequest.parse(body);
        };
    }

    /**
     * Whether a stream of this dialect reports usage only when asked with {@code stream_options.include_usage}
     * (chat and legacy completions); the Responses API always ends with {@code response.completed} and its usage.
     */
    public boolean streamUsageOnRequest() {
        return this == CHAT_COMPLETIONS || this == COMPLETIONS;
    }

    /** Whether the dialect can stream at all (embeddings cannot). */
    public boolean streams() {
        return this != EMBEDDINGS;
    }
}
