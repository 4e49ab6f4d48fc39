package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /v1/chat/completions}: usage in {@code usage} ({@code prompt_tokens}, {@code completion_tokens}); a
 * stream's in a final chunk only when asked for, which the sidecar always asks for and hides from apps that did not.
 * Text arrives in {@code choices[].delta}.
 */
public final class ChatDialect extends ChoiceChunks {
    ChatDialect() {
        super(true);
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return ChatRequest.parse(body);
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
}
