package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions}: usage in {@code usage} ({@code prompt_tokens}, {@code completion_tokens}); a
 * stream's in a final chunk only when asked for, which the sidecar always asks for and hides from apps that did not.
 */
public final class ChatDialect implements Dialect {
    ChatDialect() {
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return ChatRequest.parse(body);
    }

    @Override
    public Optional<Usage> usage(byte[] answer) {
        return ChoiceChunks.topLevelUsage(answer);
    }

    /** Message content, reasoning, refusals and tool calls of every choice. */
    @Override
    public String generatedText(byte[] answer) {
        StringBuilder text = new StringBuilder();
        JsonNode root = AnswerTree.read(answer);
        for (JsonNode choice : root.path("choices")) {
            JsonNode message = choice.path("message");
            AnswerTree.append(text, message.get("content"));
            AnswerTree.append(text, message.get("reasoning_content"));
            AnswerTree.append(text, message.get("refusal"));
            for (JsonNode call : message.path("tool_calls")) {
                AnswerTree.append(text, call.path("function").get("name"));
                AnswerTree.append(text, call.path("function").get("arguments"));
            }
        }
        return text.toString();
    }

    @Override
    public void readEvent(JsonParser p, StreamState state) throws IOException {
        ChoiceChunks.readEvent(p, state, true);
    }

    @Override
    public byte[] limitEnding(StreamState state, Usage usage, boolean usageWanted) {
        return ChoiceChunks.limitEnding(state, usage, usageWanted, true);
    }

    @Override
    public byte[] failureEnding(StreamState state, Usage usage, boolean usageWanted, SidecarException failure,
                                String requestId) {
        return ChoiceChunks.failureEnding(state, usage, usageWanted, true,
                                          family().streamErrorEvent(failure, requestId));
    }

    @Override
    public boolean streamUsageOnRequest() {
        return true;
    }

    @Override
    public WireFamily family() {
        return WireFamily.OPENAI;
    }
}
