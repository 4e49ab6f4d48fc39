package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code POST /v1/completions} (legacy): chat's usage and stream rules, text in {@code choices[].text}. */
public final class CompletionsDialect extends ChoiceChunks {
    CompletionsDialect() {
        super(false);
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return CompletionsRequest.parse(body);
    }

    @Override
    public String generatedText(byte[] answer) {
        StringBuilder text = new StringBuilder();
        for (JsonNode choice : AnswerTree.read(answer).path("choices")) {
            AnswerTree.append(text, choice.get("text"));
        }
        return text.toString();
    }
}
