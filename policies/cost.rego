# Money: a request whose worst case costs more than data.config.cost.max_request_usd is refused, and so is a
# model the price book cannot price, because an unpriced request would be invisible to USD budgets.
package sidecar

deny contains reason if {
	not input.estimate.priced
	reason := {
		"code": "model_not_priced",
		"message": sprintf("Model %q has no known price, so its cost cannot be budgeted; use a priced model or add its price to pricing.models.", [input.request.model]),
		"policy": "pricing",
	}
}

deny contains reason if {
	input.estimate.priced
	effective_max_cost_usd > data.config.cost.max_request_usd
	reason := {
		"code": "request_cost_too_high",
		"message": sprintf("This request could cost up to %.4f USD, above the per-request limit of %.2f USD; lower max_tokens or shorten the prompt.", [
			effective_max_cost_usd,
			data.config.cost.max_request_usd,
		]),
		"policy": "cost",
	}
}

# The worst case after this policy's own max_tokens patch: the estimate was made before the patch, and both count
# every choice (n), so a request for many choices is priced for all of them.
effective_max_cost_usd := input.estimate.max_cost_usd - saved if {
	kept := patch.max_tokens * estimate_choices
	saved := ((input.estimate.max_completion_tokens - kept) * input.estimate.output_usd_per_million) / 1000000
} else := input.estimate.max_cost_usd
