package io.llmsidecar.detect;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The prompt texts of a chat completions request's {@code messages}: string contents, the {@code text} of content
 * parts, and tool calls' {@code function.arguments} (which echo earlier prompts). Tool results are messages with
 * {@code role: tool} and are covered by their content.
 */
public final class ChatPromptTexts {
    private ChatPromptTexts() {
    }

    public static List<PromptText> of(JsonNode messages) {
        List<PromptText> texts = new ArrayList<>();
        if (messages == null || !messages.isArray()) {
            return texts;
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String at = "messages[" + i + "]";
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                texts.add(new PromptText(content.textValue(), at + ".content"));
            } else if (content != null && content.isArray()) {
                for (int j = 0; j < content.size(); j++) {
                    JsonNode text = content.get(j).get("text");
                    if (text != null && text.isTextual()) {
                        texts.add(new PromptText(text.textValue(), at + ".content[" + j + "].text"));
                    }
                }
            }
            JsonNode calls = message.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (int k = 0; k < calls.size(); k++) {
                    JsonNode arguments = calls.get(k).path("function").get("arguments");
                    if (arguments != null && arguments.isTextual()) {
                        texts.add(new PromptText(arguments.textValue(),
                                                 at + ".tool_calls[" + k + "].function.arguments"));
                    }
                }
            }
        }
        return texts;
    }
}
