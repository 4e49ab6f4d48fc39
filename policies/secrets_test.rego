package sidecar_test

import data.sidecar

with_findings(findings) := object.union(base_input, {"findings": findings})

found(kind, where) := {kind: {"count": count(where), "where": where}}

test_denies_every_credential_kind_by_default if {
	every kind in ["aws_access_key", "private_key", "github_token", "openai_key", "slack_token", "slack_webhook", "google_api_key", "jwt"] {
		decision := sidecar.decision with input as with_findings(found(kind, ["messages[1].content"]))
		not decision.allow
		codes(decision) == {"secret_in_prompt"}
	}
}

test_denies_card_numbers_with_a_code_of_their_own if {
	decision := sidecar.decision with input as with_findings(found("payment_card", ["messages[0].content"]))
	not decision.allow
	codes(decision) == {"card_number_in_prompt"}
}

test_allows_a_request_without_findings if {
	decision := sidecar.decision with input as base_input
	decision.allow
	decision.warnings == set()
}

test_allows_an_input_without_a_findings_field if {
	decision := sidecar.decision with input as object.remove(base_input, ["findings"])
	decision.allow
}

test_denial_names_kinds_and_places_but_never_the_secret if {
	findings := object.union(
		found("aws_access_key", ["messages[1].content", "messages[3].tool_calls[0].function.arguments"]),
		found("private_key", ["messages[2].content[0]"]),
	)
	decision := sidecar.decision with input as with_findings(findings)
	not decision.allow
	some reason in decision.reasons
	reason.code == "secret_in_prompt"
	reason.policy == "secrets"
	reason.message == concat("", [
		"The prompt contains what looks like a secret (AWS access key id in messages[1].content, ",
		"messages[3].tool_calls[0].function.arguments; private key in messages[2].content[0]); ",
		"remove it before sending.",
	])
}

test_names_at_most_three_places if {
	where := ["messages[0].content", "messages[1].content", "messages[2].content", "messages[3].content", "messages[4].content"]
	decision := sidecar.decision with input as with_findings(found("github_token", where))
	some reason in decision.reasons
	contains(reason.message, "GitHub token in messages[0].content, messages[1].content, messages[2].content and 2 more")
}

test_each_kind_follows_its_configured_action if {
	findings := object.union(found("jwt", ["messages[0].content"]), found("payment_card", ["messages[1].content"]))
	allowed := sidecar.decision with input as with_findings(findings)
		with data.config.findings as {"jwt": "allow", "payment_card": "allow"}
	allowed.allow
	allowed.warnings == set()

	card_denied := sidecar.decision with input as with_findings(findings)
		with data.config.findings as {"jwt": "allow", "payment_card": "deny"}
	codes(card_denied) == {"card_number_in_prompt"}
}

test_shadow_kinds_are_allowed_with_a_warning if {
	decision := sidecar.decision with input as with_findings(found("payment_card", ["messages[1].content"]))
		with data.config.findings.payment_card as "shadow"
	decision.allow
	count(decision.reasons) == 0
	some warning in decision.warnings
	warning.code == "card_number_in_prompt"
	warning.policy == "secrets"
}

test_personal_data_is_shadowed_by_default if {
	decision := sidecar.decision with input as with_findings(found("email", ["messages[0].content"]))
	decision.allow
	{w.code | some w in decision.warnings} == {"pii_in_prompt"}
}

test_a_kind_the_configuration_does_not_name_is_denied if {
	decision := sidecar.decision with input as with_findings(found("future_kind", ["input[0].content"]))
		with data.config.findings as {}
	not decision.allow
	some reason in decision.reasons
	reason.code == "secret_in_prompt"
	contains(reason.message, "future_kind in input[0].content")
}

test_the_policy_never_reads_the_prompt_text if {
	# A key in the text but no finding: the detectors, not the policy, look at text.
	decision := sidecar.decision with input as with_prompt("deploy with AKIAIOSFODNN7EXAMPLE please")
	decision.allow
}

found_with(kind, where, confidence) := {kind: {"count": count(where), "where": where, "confidence": confidence}}

test_denies_high_confidence_cards_and_shadows_low_ones_by_default if {
	high := sidecar.decision with input as with_findings(found_with("payment_card", ["messages[0].content"], "high"))
	not high.allow
	codes(high) == {"card_number_in_prompt"}

	low := sidecar.decision with input as with_findings(found_with("payment_card", ["messages[1].content"], "low"))
	low.allow
	count(low.reasons) == 0
	some warning in low.warnings
	warning.code == "card_number_in_prompt"
	warning.message == concat("", [
		"The prompt contains what looks like a payment card number ",
		"(payment card number (low confidence) in messages[1].content); remove it before sending.",
	])
}

test_a_card_finding_without_a_confidence_is_denied if {
	decision := sidecar.decision with input as with_findings(found("payment_card", ["messages[0].content"]))
	not decision.allow
	codes(decision) == {"card_number_in_prompt"}
}

test_secrets_are_denied_whatever_their_confidence if {
	every confidence in ["high", "low"] {
		decision := sidecar.decision with input as with_findings(found_with("jwt", ["messages[0].content"], confidence))
		not decision.allow
		codes(decision) == {"secret_in_prompt"}
	}
}

test_an_action_per_confidence_can_be_configured_for_any_kind if {
	findings := found_with("payment_card", ["messages[0].content"], "low")
	denied := sidecar.decision with input as with_findings(findings)
		with data.config.findings.payment_card as {"high": "deny", "low": "deny"}
	not denied.allow

	ignored := sidecar.decision with input as with_findings(findings)
		with data.config.findings.payment_card as {"high": "deny", "low": "allow"}
	ignored.allow
	ignored.warnings == set()

	# A confidence the configuration does not name (a level added later) is denied.
	unnamed := sidecar.decision with input as with_findings(found_with("payment_card", ["messages[0].content"], "medium"))
	not unnamed.allow
}

test_a_configured_action_of_the_wrong_type_fails_closed if {
	decision := sidecar.decision with input as with_findings(found_with("email", ["messages[0].content"], "high"))
		with data.config.findings.email as 1
	not decision.allow
}
