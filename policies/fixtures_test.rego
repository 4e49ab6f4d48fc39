# Inputs shared by the policy tests: an ordinary, allowed request, and helpers that change one part of it.
package sidecar_test

base_input := {
	"request": {
		"api": "chat.completions",
		"model": "gpt-4o-mini",
		"messages": [
			{"role": "system", "content": "You are a concise assistant."},
			{"role": "user", "content": "Plan meals for the week, about 2000 kcal a day."},
		],
		"max_tokens": 256,
		"limit_field": "max_tokens",
		"n": 1,
		"temperature": 0.7,
		"stream": false,
		"user": "u-42",
		"tools_count": 0,
		"raw_size": 180,
	},
	"findings": {},
	"subject": {
		"team": "payments",
		"team_source": "pod",
		"user": "u-42",
		"session": "",
		"namespace": "shop",
		"pod": "checkout-7d9f",
		"service_account": "checkout",
		"app": "checkout",
	},
	"estimate": {
		"model": "gpt-4o-mini",
		"priced": true,
		"prompt_tokens": 30,
		"max_completion_tokens": 256,
		"choices": 1,
		"max_cost_usd": 0.0001581,
		"input_usd_per_million": 0.15,
		"output_usd_per_million": 0.6,
	},
	"budgets": [],
	"time": {"rfc3339": "2026-01-05T12:00:00Z", "unix_ns": 1767614400000000000, "weekday": "Monday", "hour": 12},
}

with_request(fields) := object.union(base_input, {"request": object.union(base_input.request, fields)})

with_estimate(fields) := object.union(base_input, {"estimate": object.union(base_input.estimate, fields)})

with_subject(fields) := object.union(base_input, {"subject": object.union(base_input.subject, fields)})

with_prompt(text) := with_request({"messages": [{"role": "user", "content": text}]})

codes(decision) := {reason.code | some reason in decision.reasons}

# The same request through the other governed APIs, as the sidecar writes their input: prompt texts become
# messages with a `where`, the limit field is the API's own.
responses_input := object.union(base_input, {"request": object.union(base_input.request, {
	"api": "responses",
	"messages": [
		{"role": "system", "content": "You are a concise assistant.", "where": "instructions"},
		{"role": "user", "content": "Plan meals for the week, about 2000 kcal a day.", "where": "input"},
	],
	"limit_field": "max_output_tokens",
})})

embeddings_input := object.union(base_input, {
	"request": object.union(base_input.request, {
		"api": "embeddings",
		"model": "text-embedding-3-small",
		"messages": [{"role": "user", "content": "Plan meals for the week.", "where": "input"}],
		"max_tokens": null,
		"limit_field": null,
		"temperature": null,
	}),
	"estimate": object.union(base_input.estimate, {
		"model": "text-embedding-3-small",
		"max_completion_tokens": 0,
		"max_cost_usd": 0.0000006,
	}),
})

completions_input := object.union(base_input, {"request": object.union(base_input.request, {
	"api": "completions",
	"messages": [{"role": "user", "content": "Plan meals for the week.", "where": "prompt"}],
})})

# Anthropic's Messages API as the sidecar writes it: system and content blocks become messages with a `where`, the
# limit is max_tokens (which the API requires), the session Claude Code names is app-attested attribution.
messages_input := object.union(base_input, {
	"request": object.union(base_input.request, {
		"api": "messages",
		"model": "claude-sonnet-4-5",
		"messages": [
			{"role": "system", "content": "You are a concise assistant.", "where": "system[0].text"},
			{"role": "user", "content": "Plan meals for the week.", "where": "messages[0].content"},
		],
		"max_tokens": 1024,
		"limit_field": "max_tokens",
		"temperature": null,
	}),
	"subject": object.union(base_input.subject, {"session": "6f1c6d2e-8a4b-4c55-9d1e-2f3a4b5c6d7e"}),
	"estimate": object.union(base_input.estimate, {
		"model": "anthropic/claude-sonnet-4-5",
		"max_completion_tokens": 1024,
		"max_cost_usd": 0.01545,
		"input_usd_per_million": 3,
		"output_usd_per_million": 15,
	}),
})

# Token counting: the same body without a limit, free.
count_tokens_input := object.union(messages_input, {
	"request": object.union(messages_input.request, {
		"api": "messages.count_tokens",
		"max_tokens": null,
		"limit_field": null,
	}),
	"estimate": object.union(messages_input.estimate, {"max_completion_tokens": 0, "max_cost_usd": 0.000045}),
})
