package io.llmsidecar.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.Optional;

/** {@code POST /v1/completions} (legacy): chat's usage and stream rules, text in {@code choices[].text}. */
public final class CompletionsDialect implements Dialect {
    CompletionsDialect() {
    }

    @Override
    public ApiRequest parse(byte[] body) {
        return CompletionsRequest.parse(body);
    }

    @Override
    public Optional<Usage> usage(byte[] answer) {
        return ChoiceChunks.topLevelUsage(answer);
    }

    @Override
    public String generatedText(byte[] answer) {
        StringBuilder text = new StringBuilder();
        for (JsonNode choice : AnswerTree.read(answer).path("choices")) {
            AnswerTree.append(text, choice.get("text"));
        }
        return text.toString();
    }

    @Override
    public void readEvent(JsonParser p, StreamState state) throws IOException {
        ChoiceChunks.readEvent(p, state, false);
    }

    @Override
    public byte[] limitEnding(StreamState state, Usage usage, boolean usageWanted) {
        return ChoiceChunks.limitEnding(state, usage, usageWanted, false);
    }

    @Override
    public byte[] failureEnding(StreamState state, Usage usage, boolean usageWanted, SidecarException failure,
                                String requestId) {
        return ChoiceChunks.failureEnding(state, usage, usageWanted, false,
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
