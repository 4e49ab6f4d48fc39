package sidecar_test

import data.sidecar

test_every_model_is_allowed_without_a_list if {
	decision := sidecar.decision with input as with_request({"model": "some-new-model"})
		with data.config.model_allowlist as {}
		with input.estimate.priced as true
	not "model_not_allowed" in codes(decision)
}

test_default_data_allows_every_model if {
	sidecar.model_allowed with input as with_request({"model": "anthropic/claude-opus"})
}

test_team_list_allows_a_listed_model if {
	sidecar.model_allowed with input as base_input
		with data.config.model_allowlist.teams as {"payments": ["gpt-4o-mini", "gpt-4.1"]}
}

test_team_list_denies_another_model if {
	decision := sidecar.decision with input as with_request({"model": "gpt-4o"})
		with data.config.model_allowlist.teams as {"payments": ["gpt-4o-mini"]}
	not decision.allow
	some reason in decision.reasons
	reason.code == "model_not_allowed"
	reason.policy == "model_allowlist"
	reason.message == "Model \"gpt-4o\" is not allowed for team \"payments\"; allowed: gpt-4o-mini."
}

test_names_compare_case_insensitively if {
	sidecar.model_allowed with input as with_request({"model": "GPT-4o-Mini"})
		with data.config.model_allowlist.teams as {"payments": ["gpt-4o-mini"]}
}

test_glob_patterns_match_families_and_providers if {
	teams := {"payments": ["gpt-4.1*", "anthropic/*"]}
	sidecar.model_allowed with input as with_request({"model": "gpt-4.1-mini"})
		with data.config.model_allowlist.teams as teams
	sidecar.model_allowed with input as with_request({"model": "anthropic/claude-sonnet-4-20250514"})
		with data.config.model_allowlist.teams as teams
	not sidecar.model_allowed with input as with_request({"model": "gpt-4o"})
		with data.config.model_allowlist.teams as teams
}

test_teams_without_a_list_get_the_default_list if {
	allowlist := {"default": ["gpt-4o-mini"], "teams": {"research": ["*"]}}
	sidecar.model_allowed with input as with_subject({"team": "research"})
		with input.request.model as "o4-mini"
		with data.config.model_allowlist as allowlist
	not sidecar.model_allowed with input as with_request({"model": "o4-mini"})
		with data.config.model_allowlist as allowlist
}

test_an_empty_team_list_allows_nothing if {
	not sidecar.model_allowed with input as base_input
		with data.config.model_allowlist.teams as {"payments": []}
}
