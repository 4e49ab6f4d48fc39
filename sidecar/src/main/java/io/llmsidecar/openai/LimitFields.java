package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * The names a completion limit goes by. A body names its limit in one field of its own API, or in none. A
 * translating gateway may read any of these names (a provider behind it may only have {@code max_tokens}), so a
 * second limit field, or another API's, could let the gateway generate up to a limit the sidecar never reserved;
 * such bodies are refused rather than guessed at, and a policy's limit patch always has exactly one field to write.
 */
final class LimitFields {
    /**
     * The OpenAI APIs' limit fields, and the names other providers' APIs give the same limit that a gateway may
     * pass on or map (Anthropic's legacy {@code max_tokens_to_sample}, Hugging Face's {@code max_new_tokens},
     * Gemini's {@code maxOutputTokens}, Bedrock's {@code maxTokens}).
     */
    static final List<String> KNOWN = List.of("max_completion_tokens", "max_tokens", "max_output_tokens",
                                              "max_tokens_to_sample", "max_new_tokens", "maxOutputTokens",
                                              "maxTokens");

    private LimitFields() {
    }

    /**
     * Refuses every known limit field of {@code json} that is not one of {@code own}, and two of {@code own} at once.
     * A field counts when present, even as {@code null}: a gateway reading a null limit applies none at all.
     *
     * @param api what the API is called in messages, e.g. "chat completions"
     * @param own the API's own limit fields, the current one first
     */
    static void check(ObjectNode json, String api, List<String> own) {
        for (String field : KNOWN) {
            if (json.has(field) && !own.contains(field)) {
                throw SidecarException.invalidRequest("unsupported_parameter", field,
                        "Unsupported parameter: '" + field + "' is not the completion limit of " + api + "; "
                        + (own.isEmpty() ? api + " generate no completion, so send no limit"
                                         : "set '" + own.getFirst() + "'")
                        + ". The sidecar refuses other limit fields because a gateway could read one of them "
                        + "instead of the limit that was checked and reserved.");
            }
        }
        if (own.size() == 2 && json.has(own.get(0)) && json.has(own.get(1))) {
            // OpenAI's own answer to both chat fields, word for word, with the reason it matters here.
            throw SidecarException.invalidRequest("invalid_parameter_combination", own.get(1),
                    "Setting '" + own.get(1) + "' and '" + own.get(0) + "' at the same time is not supported. "
                    + "Send only '" + own.get(0) + "': a gateway may read either field, so the limit it applies "
                    + "could differ from the one the sidecar checked and reserved.");
        }
    }
}
