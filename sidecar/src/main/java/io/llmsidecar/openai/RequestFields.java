package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * What the sidecar reads out of every governed API's body, once, in the dialect's own fields: each request type
 * builds one in its constructor and {@link ApiRequest} answers from it. An API without a notion takes its neutral
 * value (embeddings: no limit, one choice, no stream).
 *
 * @param raw                  the caller's bytes, forwarded as they are unless something has to change
 * @param json                 the parsed body, read-only by convention
 * @param rewritten            whether a patch changed the tree, so that {@code raw} no longer describes the request
 * @param model                the requested model
 * @param promptTexts          every piece of prompt text, with where it came from
 * @param maxTokens            the completion limit per choice the caller asked for; empty when unset
 * @param choices              how many completions one request produces
 * @param temperature          the sampling temperature, if sent
 * @param stream               whether the answer is an event stream
 * @param clientRequestedUsage whether the caller itself asked for a stream's usage (so the sidecar need not hide it)
 * @param user                 the body's {@code user}, app-attested attribution
 * @param toolsCount           how many tools the request declares
 */
public record RequestFields(byte[] raw, ObjectNode json, boolean rewritten, String model,
                            List<PromptText> promptTexts, OptionalInt maxTokens, int choices,
                            OptionalDouble temperature, boolean stream, boolean clientRequestedUsage,
                            Optional<String> user, int toolsCount) {
}
