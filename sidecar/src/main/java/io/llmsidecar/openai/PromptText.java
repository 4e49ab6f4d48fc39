package io.llmsidecar.openai;

import java.util.Objects;

/**
 * One piece of text a caller sends to the model, and where in the body it came from, e.g.
 * {@code messages[2].content[0]} or {@code input[1].output}: what detectors scan and what their findings point at.
 * Findings name the place, never the text.
 *
 * @param text  the text as the caller sent it (JSON string value, already unescaped)
 * @param where the path of the text in the request body, in the API's own field names
 */
public record PromptText(String text, String where) {
    public PromptText {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(where, "where");
    }
}
