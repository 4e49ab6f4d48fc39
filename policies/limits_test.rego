package sidecar_test

import data.sidecar

test_clamps_max_tokens_above_the_model_ceiling if {
	decision := sidecar.decision with input as with_request({"model": "anthropic/claude-opus", "max_tokens": 20000})
		with input.estimate.model as "anthropic/claude-opus"
		with input.estimate.max_completion_tokens as 20000
	decision.allow
	decision.patch == {"max_tokens": 4096}
}

test_clamps_a_request_without_a_limit_to_the_ceiling if {
	# Without max_tokens the estimate assumes the model's own maximum, which the ceiling lowers.
	decision := sidecar.decision with input as with_request({"model": "anthropic/claude-opus", "max_tokens": null})
		with input.estimate.max_completion_tokens as 32000
	decision.patch == {"max_tokens": 4096}
}

test_leaves_a_limit_below_the_ceiling_alone if {
	decision := sidecar.decision with input as base_input
	decision.patch == {}
}

test_finds_the_ceiling_by_the_price_book_name if {
	ceiling := sidecar.max_tokens_ceiling with input as with_request({"model": "Claude-Opus"})
		with input.estimate.model as "anthropic/claude-opus"
	ceiling == 4096
}

test_other_models_get_the_default_ceiling if {
	decision := sidecar.decision with input as with_estimate({"max_completion_tokens": 50000})
	decision.patch == {"max_tokens": 16384}
}

test_no_ceiling_configured_means_no_patch if {
	decision := sidecar.decision with input as with_estimate({"max_completion_tokens": 50000})
		with data.config.max_tokens as {}
	decision.patch == {}
}

test_denies_a_temperature_above_the_range if {
	decision := sidecar.decision with input as with_request({"temperature": 1.8})
	not decision.allow
	some reason in decision.reasons
	reason.code == "temperature_out_of_range"
	reason.policy == "limits"
	reason.message == "temperature 1.8 is outside the allowed range 0 to 1.5."
}

test_denies_a_temperature_below_the_range if {
	decision := sidecar.decision with input as with_request({"temperature": 0.1})
		with data.config.temperature as {"min": 0.2, "max": 1}
	codes(decision) == {"temperature_out_of_range"}
}

test_allows_the_range_bounds_and_no_temperature if {
	sidecar.decision.allow with input as with_request({"temperature": 1.5})
	sidecar.decision.allow with input as with_request({"temperature": 0})
	sidecar.decision.allow with input as with_request({"temperature": null})
}

test_clamps_per_choice_when_n_choices_are_estimated if {
	# n=4 choices of 8000 tokens each: 32000 estimated in all, 8000 per choice, above opus' 4096.
	decision := sidecar.decision with input as with_request({"model": "anthropic/claude-opus", "n": 4})
		with input.estimate.max_completion_tokens as 32000
		with input.estimate.choices as 4
	decision.patch == {"max_tokens": 4096}
}

test_leaves_n_choices_within_the_ceiling_alone if {
	# 4 choices of 4000 tokens: 16000 in all is above the ceiling, but each choice is below it.
	decision := sidecar.decision with input as with_request({"model": "anthropic/claude-opus", "n": 4})
		with input.estimate.max_completion_tokens as 16000
		with input.estimate.choices as 4
	decision.patch == {}
}

test_clamps_the_responses_api_limit if {
	decision := sidecar.decision with input as responses_input
		with input.estimate.max_completion_tokens as 50000
	decision.patch == {"max_tokens": 16384}
}

test_clamps_the_legacy_completions_limit if {
	decision := sidecar.decision with input as completions_input
		with input.estimate.max_completion_tokens as 50000
	decision.patch == {"max_tokens": 16384}
}

test_never_patches_embeddings if {
	decision := sidecar.decision with input as embeddings_input
	decision.allow
	decision.patch == {}
}
