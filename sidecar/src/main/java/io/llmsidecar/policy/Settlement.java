package io.llmsidecar.policy;

import io.llmsidecar.identity.Subject;
import io.llmsidecar.openai.Usage;

/**
 * What one forwarded request was charged, for the decision log's settlement event: the tokens by kind, the cost, the
 * price-book revision that priced it and whether the gateway reported the usage or the sidecar estimated it. With
 * these, finance can re-rate history when a price was wrong.
 *
 * @param decisionId        the decision this request was admitted by; empty when policy checks are off
 * @param model             the model as forwarded (after any patch)
 * @param pricedModel       the price-book name it was priced under; empty when it has no price
 * @param costNanos         the cost in nano-USD at that price
 * @param priceBookRevision the price book's revision when the request was estimated
 */
public record Settlement(String decisionId, String requestId, String api, String model, String pricedModel,
                         Subject subject, Usage usage, long costNanos, String priceBookRevision, int status,
                         String outcome) {
}
