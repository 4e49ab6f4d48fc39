package io.llmsidecar.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmsidecar.openai.Api;
import io.llmsidecar.openai.StreamState;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's own model and finish reasons, for a trace's {@code gen_ai.response.*} attributes. Read a second
 * time from a whole answer only when a span records, so that tracing off costs nothing here.
 */
record AnswerFacts(String model, List<String> finishReasons) {
    static final AnswerFacts NONE = new AnswerFacts("", List.of());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Names and reasons are short; anything longer is not one and stays out of the span. */
    private static final int MAX_LENGTH = 128;

    AnswerFacts {
        finishReasons = List.copyOf(finishReasons);
    }

    /** The model a stream named and the reasons it gave for stopping. */
    static AnswerFacts ofStream(StreamState stream) {
        String model = stream.model();
        return new AnswerFacts(model == null || model.length() > MAX_LENGTH ? "" : model, stream.finishReasons());
    }

    /** From a whole JSON answer of {@code api}; {@link #NONE} when it is not one. */
    static AnswerFacts of(Api api, byte[] answer) {
        JsonNode root;
        try {
            root = JSON.readTree(answer);
        } catch (IOException e) {
            return NONE;
        }
        if (root == null || !root.isObject()) {
            return NONE;
        }
        List<String> reasons = new ArrayList<>();
        switch (api) {
            case CHAT_COMPLETIONS, COMPLETIONS -> {
                for (JsonNode choice : root.path("choices")) {
                    add(reasons, choice.path("finish_reason"));
                }
            }
            case MESSAGES -> add(reasons, root.path("stop_reason"));
            case RESPONSES -> add(reasons, root.path("status"));
            case EMBEDDINGS, MESSAGES_COUNT_TOKENS -> {
                // No generation, no reason.
            }
        }
        JsonNode model = root.path("model");
        return new AnswerFacts(model.isTextual() && model.textValue().length() <= MAX_LENGTH ? model.textValue() : "",
                               reasons);
    }

    private static void add(List<String> reasons, JsonNode reason) {
        if (reason.isTextual() && reason.textValue().length() <= MAX_LENGTH && reasons.size() < 16) {
            reasons.add(reason.textValue());
        }
    }
}
