package sidecar_test

import data.sidecar

test_denies_a_model_without_a_price if {
	decision := sidecar.decision with input as with_estimate({
		"model": "",
		"priced": false,
		"max_cost_usd": 0,
		"input_usd_per_million": 0,
		"output_usd_per_million": 0,
	})
	not decision.allow
	codes(decision) == {"model_not_priced"}
}

test_denies_a_request_that_could_cost_more_than_the_ceiling if {
	decision := sidecar.decision with input as with_estimate({"max_cost_usd": 2.5})
	not decision.allow
	some reason in decision.reasons
	reason.code == "request_cost_too_high"
	reason.policy == "cost"
	reason.message == "This request could cost up to 2.5000 USD, above the per-request limit of 2.00 USD; lower max_tokens or shorten the prompt."
}

test_judges_the_cost_after_clamping_max_tokens if {
	# 100000 completion tokens at 75 USD per million could cost 7.50 USD; clamped to 4096 they cost 0.31 USD.
	request := object.union(with_request({"model": "anthropic/claude-opus", "max_tokens": 100000}), {"estimate": {
		"model": "anthropic/claude-opus",
		"priced": true,
		"prompt_tokens": 20,
		"max_completion_tokens": 100000,
		"max_cost_usd": 7.5003,
		"input_usd_per_million": 15,
		"output_usd_per_million": 75,
	}})
	decision := sidecar.decision with input as request
	decision.allow
	decision.patch == {"max_tokens": 4096}
}

test_allows_a_cheap_request if {
	not "request_cost_too_high" in codes(sidecar.decision) with input as base_input
}

test_the_ceiling_comes_from_data if {
	decision := sidecar.decision with input as base_input
		with data.config.cost.max_request_usd as 0.0001
	codes(decision) == {"request_cost_too_high"}
}

test_counts_every_choice if {
	# The estimate of n=8 choices is 8 times one choice's completion: over the ceiling although one choice is not.
	decision := sidecar.decision with input as with_request({"n": 8})
		with input.estimate.choices as 8
		with input.estimate.max_completion_tokens as 8 * 16000
		with input.estimate.max_cost_usd as 2.3
	codes(decision) == {"request_cost_too_high"}
}

test_judges_n_choices_after_clamping_each if {
	# 4 choices of 100000 tokens at 75 USD per million: 30 USD; clamped to 4096 each: 1.23 USD, within 2 USD.
	request := object.union(with_request({"model": "anthropic/claude-opus", "n": 4}), {"estimate": {
		"model": "anthropic/claude-opus",
		"priced": true,
		"prompt_tokens": 20,
		"max_completion_tokens": 400000,
		"choices": 4,
		"max_cost_usd": 30.0003,
		"input_usd_per_million": 15,
		"output_usd_per_million": 75,
	}})
	decision := sidecar.decision with input as request
	decision.allow
	decision.patch == {"max_tokens": 4096}
}

test_prices_every_api if {
	not "request_cost_too_high" in codes(sidecar.decision) with input as embeddings_input
	codes(sidecar.decision) == {"request_cost_too_high"} with input as embeddings_input
		with input.estimate.max_cost_usd as 3
	codes(sidecar.decision) == {"model_not_priced"} with input as responses_input
		with input.estimate.priced as false
}
