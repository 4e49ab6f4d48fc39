package io.llmsidecar.inject;

/**
 * The variables through which model clients in an app container find their API; the injector points each at the
 * sidecar's proxy on loopback, which every container of the pod shares. The constant's name is the variable's.
 */
enum AppVariable {
    /** The current OpenAI SDKs; they append {@code /chat/completions} and the like to a base ending in /v1. */
    OPENAI_BASE_URL("/v1"),
    /** Older OpenAI SDKs and the integrations built on them; same form. */
    OPENAI_API_BASE("/v1"),
    /** Claude Code, the Claude Agent SDK and the Anthropic SDKs; they append {@code /v1/messages} themselves. */
    ANTHROPIC_BASE_URL("");

    private final String path;

    AppVariable(String path) {
        this.path = path;
    }

    /** The value that points a client at a sidecar proxy listening on {@code proxyPort}. */
    String value(int proxyPort) {
        return "http://127.0.0.1:" + proxyPort + path;
    }
}
