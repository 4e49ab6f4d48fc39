package sidecar_test

import data.sidecar

test_allows_an_ordinary_request if {
	decision := sidecar.decision with input as base_input
	decision.allow
	count(decision.reasons) == 0
	decision.patch == {}
}

test_denies_with_every_reason_that_applies if {
	request := with_request({
		"model": "gpt-4o",
		"messages": [{"role": "user", "content": "my key is AKIAIOSFODNN7EXAMPLE"}],
	})
	decision := sidecar.decision with input as request
		with data.config.model_allowlist.teams as {"payments": ["gpt-4o-mini"]}
	not decision.allow
	codes(decision) == {"model_not_allowed", "secret_in_prompt"}
}

test_reasons_name_the_policy_they_come_from if {
	decision := sidecar.decision with input as with_estimate({"priced": false})
	some reason in decision.reasons
	reason.code == "model_not_priced"
	reason.policy == "pricing"
	contains(reason.message, "gpt-4o-mini")
}

test_prompt_texts_cover_text_parts_and_tool_call_arguments if {
	request := with_request({"messages": [
		{"role": "user", "content": [
			{"type": "text", "text": "first part"},
			{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
		]},
		{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"x\"}"}}]},
		{"role": "user", "content": "plain"},
	]})
	texts := sidecar.prompt_texts with input as request
	texts == ["plain", "first part", "{\"q\":\"x\"}"]
}
