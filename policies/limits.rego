# Request limits: a per-model ceiling on completion tokens, enforced by lowering max_tokens (a patch, not a
# denial, so callers that ask for "as much as possible" still work), and the allowed temperature range.
package sidecar

max_tokens_ceiling := data.config.max_tokens.models[input.request.model]

# The price book's canonical name ("openai/gpt-4o" for a request naming "gpt-4o") as a second chance.
max_tokens_ceiling := data.config.max_tokens.models[input.estimate.model] if {
	not data.config.max_tokens.models[input.request.model]
}

max_tokens_ceiling := data.config.max_tokens.default if {
	not data.config.max_tokens.models[input.request.model]
	not data.config.max_tokens.models[input.estimate.model]
}

# The estimate's completion limit covers all choices (n); per choice it is the request's own or, when it sets
# none, the model's maximum: clamping on it bounds what a reservation must cover either way. The sidecar writes
# the patched limit into the field of the request's API (input.request.limit_field: max_tokens or
# max_completion_tokens for chat, max_output_tokens for responses, max_tokens for legacy completions and
# Anthropic's messages, where the sidecar lowers a thinking budget_tokens with it). Embeddings and token counting
# produce no completion (max_completion_tokens 0), so they are never patched.
patch["max_tokens"] := max_tokens_ceiling if {
	input.estimate.max_completion_tokens > max_tokens_ceiling * estimate_choices
}

estimate_choices := object.get(input.estimate, "choices", 1)

# Defaults span what the API accepts (0 to 2), so a data document without a range denies nothing.
temperature_min := object.get(data.config, ["temperature", "min"], 0)

temperature_max := object.get(data.config, ["temperature", "max"], 2)

deny contains reason if {
	is_number(input.request.temperature)
	not temperature_in_range
	reason := {
		"code": "temperature_out_of_range",
		"message": sprintf("temperature %v is outside the allowed range %v to %v.", [
			input.request.temperature,
			temperature_min,
			temperature_max,
		]),
		"policy": "limits",
	}
}

temperature_in_range if {
	input.request.temperature >= temperature_min
	input.request.temperature <= temperature_max
}
