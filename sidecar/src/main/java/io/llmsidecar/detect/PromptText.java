package io.llmsidecar.detect;

import java.util.Objects;

/**
 * One piece of prompt text and where in the request it came from, e.g. {@code messages[3].content} or
 * {@code input[2].content[0].text}. Findings name the place, never the text.
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
