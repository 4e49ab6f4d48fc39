package io.llmsidecar.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Body fields with which the app makes the same model cost more than the price book says. Budgets price usage at the
 * model's rates; a shape tied to a model name (an audio model) can be priced under that name in
 * {@code pricing.models}, but a multiplier the app picks per request cannot, so it is refused rather than
 * under-charged.
 */
final class PricedShapes {
    private PricedShapes() {
    }

    /** {@code service_tier: "priority"}: billed above the standard rates (chat completions and responses). */
    static void check(ObjectNode json) {
        JsonNode tier = json.get("service_tier");
        if (tier != null && tier.isTextual() && tier.asText().equals("priority")) {
            throw SidecarException.invalidRequest("unsupported_value", "service_tier",
                    "Unsupported value: 'service_tier' \"priority\" is not supported by the sidecar: priority "
                    + "processing is billed above the model's standard price, which budgets charge, so its cost "
                    + "could not be charged exactly. Omit it or send \"auto\", \"default\" or \"flex\".");
        }
    }
}
