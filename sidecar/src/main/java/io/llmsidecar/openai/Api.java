package io.llmsidecar.openai;

import java.util.Set;

/**
 * The APIs the sidecar governs. Each is one {@code POST} route on the app socket, one path below its family's
 * gateway endpoint, and one {@link Dialect} that knows its wire format.
 */
public enum Api {
    CHAT_COMPLETIONS("chat.completions", "/v1/chat/completions", "/chat/completions", new ChatDialect()),
    RESPONSES("responses", "/v1/responses", "/responses", new ResponsesDialect()),
    EMBEDDINGS("embeddings", "/v1/embeddings", "/embeddings", new EmbeddingsDialect()),
    COMPLETIONS("completions", "/v1/completions", "/completions", new CompletionsDialect()),
    /** Anthropic's Messages API; forwarded to {@code upstream.anthropic-url} itself. */
    MESSAGES("messages", "/v1/messages", "", new MessagesDialect(false)),
    /** Anthropic's token counting: checked like a call (the prompt reaches the gateway), never budgeted. */
    MESSAGES_COUNT_TOKENS("messages.count_tokens", "/v1/messages/count_tokens", "/count_tokens",
                          new MessagesDialect(true));

    /**
     * The one query Anthropic's SDKs add to the Messages routes: their beta client
     * ({@code client.beta.messages.create}, which Claude Code and the Agent SDK use) posts to
     * {@code /v1/messages?beta=true}. It selects nothing the body does not already say ({@code anthropic-beta}
     * headers do), and it is forwarded as it came. Any other query is refused.
     */
    private static final Set<String> ANTHROPIC_QUERIES = Set.of("beta=true");

    private final String label;
    private final String route;
    private final String upstreamPath;
    private final Dialect dialect;

    Api(String label, String route, String upstreamPath, Dialect dialect) {
        this.label = label;
        this.route = route;
        this.upstreamPath = upstreamPath;
        this.dialect = dialect;
    }

    /** The name policies see as {@code input.request.api} and metrics as the {@code api} label. */
    public String label() {
        return label;
    }

    /** The app-facing path, e.g. {@code /v1/chat/completions}. */
    public String route() {
        return route;
    }

    /**
     * The path appended to the family's gateway endpoint: the base URL for OpenAI's APIs, the Messages endpoint
     * ({@code upstream.anthropic-url}) for Anthropic's.
     */
    public String upstreamPath() {
        return upstreamPath;
    }

    public Dialect dialect() {
        return dialect;
    }

    public WireFamily family() {
        return dialect.family();
    }

    /** Reads and validates a body of this API; 400 naming the parameter at fault. */
    public ApiRequest parse(byte[] body) {
        return dialect.parse(body);
    }

    /** Whether a stream reports usage only when asked with {@code stream_options.include_usage}. */
    public boolean streamUsageOnRequest() {
        return dialect.streamUsageOnRequest();
    }

    /** Whether the API can stream at all (embeddings and token counting cannot). */
    public boolean streams() {
        return dialect.streams();
    }

    /** Whether a call costs anything, so that it is reserved against budgets. */
    public boolean billable() {
        return dialect.billable();
    }

    /**
     * Whether {@code rawQuery} (as sent, never decoded) may come with a request of this API: none may, except
     * Anthropic's {@code beta=true}.
     */
    public boolean acceptsQuery(String rawQuery) {
        return family() == WireFamily.ANTHROPIC && ANTHROPIC_QUERIES.contains(rawQuery);
    }
}
