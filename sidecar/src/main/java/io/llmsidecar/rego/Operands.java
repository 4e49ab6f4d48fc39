package io.llmsidecar.rego;

import com.fasterxml.jackson.databind.JsonNode;

/** Type checks on builtin operands, failing the way OPA's do: the expression becomes undefined. */
final class Operands {
    private Operands() {
    }

    static String string(JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("operand must be a string, got "
                                               + (node == null ? "nothing" : node.getNodeType()));
        }
        return node.asText();
    }

    /** An integral number that fits an int, as OPA's {@code builtins.IntOperand}. */
    static int integer(JsonNode node) {
        if (node == null || !node.isNumber()) {
            throw new IllegalArgumentException("operand must be a number");
        }
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            return node.intValue();
        }
        if (node.isBigDecimal() && node.decimalValue().stripTrailingZeros().scale() <= 0) {
            return node.decimalValue().intValueExact();
        }
        throw new IllegalArgumentException("operand must be an integer");
    }
}
