package sidecar_test

import data.sidecar

secret_kinds_in(text) := kinds if {
	kinds := sidecar.secret_kinds with input as with_prompt(text)
}

test_finds_an_aws_access_key_id if {
	secret_kinds_in("deploy with AKIAIOSFODNN7EXAMPLE please") == {"AWS access key id"}
}

test_finds_a_private_key_block if {
	secret_kinds_in("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----") == {"private key"}
	secret_kinds_in("-----BEGIN PRIVATE KEY-----\nMIIE") == {"private key"}
	secret_kinds_in("-----BEGIN PGP PRIVATE KEY BLOCK-----") == {"private key"}
}

test_finds_github_tokens if {
	secret_kinds_in("token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij ok") == {"GitHub token"}
	secret_kinds_in("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz") == {"GitHub token"}
}

test_finds_openai_keys if {
	secret_kinds_in("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD") == {"OpenAI API key"}
	secret_kinds_in("sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL") == {"OpenAI API key"}
}

test_finds_slack_tokens_and_webhooks if {
	secret_kinds_in("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx") == {"Slack token"}
	url := "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
	secret_kinds_in(url) == {"Slack webhook URL"}
}

test_finds_card_numbers_that_pass_luhn if {
	secret_kinds_in("card 4111 1111 1111 1111 exp 12/28") == {"card number"}
	secret_kinds_in("card 4111-1111-1111-1111") == {"card number"}
	secret_kinds_in("amex 378282246310005") == {"card number"}
	secret_kinds_in("card 4111 1111 1111 1111 2028 123") == {"card number"}
}

test_ignores_numbers_that_fail_luhn_or_are_too_short if {
	secret_kinds_in("order 4111 1111 1111 1112") == set()
	secret_kinds_in("call +49 30 1234567 or 030 7654321") == set()
	secret_kinds_in("invoice 2024-000123") == set()
}

test_ignores_text_that_only_contains_a_marker if {
	secret_kinds_in("a task-based risk-free desk-top plan; ASIAN food; xox") == set()
}

test_scans_text_parts_and_tool_arguments if {
	request := with_request({"messages": [
		{"role": "user", "content": [{"type": "text", "text": "key AKIAIOSFODNN7EXAMPLE"}]},
		{"role": "assistant", "content": null, "tool_calls": [{
			"id": "c1",
			"type": "function",
			"function": {"name": "pay", "arguments": "{\"card\":\"4111111111111111\"}"},
		}]},
	]})
	kinds := sidecar.secret_kinds with input as request
	kinds == {"AWS access key id", "card number"}
}

test_denial_names_the_kind_but_never_the_secret if {
	decision := sidecar.decision with input as with_prompt("use AKIAIOSFODNN7EXAMPLE and 4111 1111 1111 1111")
	not decision.allow
	some reason in decision.reasons
	reason.code == "secret_in_prompt"
	reason.policy == "secrets"
	reason.message == "The prompt contains what looks like a secret (AWS access key id, card number); remove it before sending."
	not contains(reason.message, "AKIA")
}

test_luhn_checksum if {
	sidecar.luhn_valid("79927398713")
	not sidecar.luhn_valid("79927398710")
	sidecar.luhn_valid("4111111111111111")
}
