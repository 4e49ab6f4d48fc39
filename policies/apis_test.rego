# The default policies govern every API the sidecar routes (input.request.api): chat.completions, responses,
# embeddings, completions, messages and messages.count_tokens, with the inputs fixtures_test.rego builds the way the
# sidecar writes them.
package sidecar_test

import data.sidecar

api_inputs := [base_input, responses_input, embeddings_input, completions_input, messages_input, count_tokens_input]

test_the_allow_list_admits_listed_models_of_every_api if {
	every api_input in api_inputs {
		sidecar.decision.allow with input as api_input
			with data.config.model_allowlist as {"default": [api_input.request.model]}
	}
}

test_the_allow_list_refuses_other_models_of_every_api if {
	every api_input in api_inputs {
		"model_not_allowed" in codes(sidecar.decision) with input as api_input
			with data.config.model_allowlist as {"default": ["mistral-*"]}
	}
}

# The host's detectors scan every API's prompt texts (tool outputs, instructions, embedding inputs...) and report
# findings with where they came from; the secret rule decides on them the same way for every API.
test_finds_secrets_in_the_prompts_of_every_api if {
	every api_input in api_inputs {
		secret := object.union(api_input, {"findings": {"aws_access_key": {"count": 1, "where": ["input[2].output"]}}})
		"secret_in_prompt" in codes(sidecar.decision) with input as secret
	}
}

# The Messages API's limit is max_tokens: the ceiling patches it like chat's.
test_clamps_max_tokens_of_the_messages_api if {
	claude_code := object.union(messages_input, {
		"request": object.union(messages_input.request, {"max_tokens": 32000}),
		"estimate": object.union(messages_input.estimate, {"max_completion_tokens": 32000, "max_cost_usd": 0.48}),
	})
	decision := sidecar.decision with input as claude_code
	decision.allow
	decision.patch == {"max_tokens": 16384}
}

# Token counting allows what a call would allow and is never clamped: it has no limit to lower.
test_count_tokens_is_allowed_without_a_patch if {
	decision := sidecar.decision with input as count_tokens_input
	decision.allow
	not decision.patch.max_tokens
}
