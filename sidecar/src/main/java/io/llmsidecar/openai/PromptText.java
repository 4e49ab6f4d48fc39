package io.llmsidecar.openai;

/**
 * One piece of text a caller sends to the model, and where in the body it came from, e.g.
 * {@code messages[2].content[0]} or {@code input[1].output}: what detectors scan and what their findings point at.
 */
public record PromptText(String text, String where) {
}
