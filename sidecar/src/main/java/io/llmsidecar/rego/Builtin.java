package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One Rego builtin function implemented on the host: JSON arguments in, a JSON result out. Throwing makes the
 * calling expression undefined, as a builtin error does in OPA's default (non-strict) mode.
 */
@FunctionalInterface
public interface Builtin {
    /**
     * @param evaluation what is fixed for the whole evaluation (its clock)
     * @param args the operands, as many as the builtin's arity; numbers keep their exact text
     */
    JsonNode apply(Evaluation evaluation, JsonNode... args);

    /** True when the array {@link #apply} returns stands for a Rego set, which JSON cannot spell. */
    default boolean returnsSet() {
        return false;
    }
}
