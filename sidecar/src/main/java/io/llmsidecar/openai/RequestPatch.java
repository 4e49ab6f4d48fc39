package io.llmsidecar.openai;

import java.util.Optional;
import java.util.OptionalInt;

/** Changes the sidecar makes to a chat request before forwarding it (from a policy decision). */
public record RequestPatch(Optional<String> model, OptionalInt maxTokens) {
    public static final RequestPatch NONE = new RequestPatch(Optional.empty(), OptionalInt.empty());

    public boolean isEmpty() {
        return model.isEmpty() && maxTokens.isEmpty();
    }
}
