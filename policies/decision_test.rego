package sidecar_test

import data.sidecar

test_allows_an_ordinary_request if {
	decision := sidecar.decision with input as base_input
	decision.allow
	count(decision.reasons) == 0
	decision.patch == {}
}

test_denies_with_every_reason_that_applies if {
	request := object.union(with_request({"model": "gpt-4o"}), {"findings": {"aws_access_key": {
		"count": 1,
		"where": ["messages[1].content"],
	}}})
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
