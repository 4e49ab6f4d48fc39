# Which models a team may use: data.config.model_allowlist.teams[team] lists model names or glob patterns
# ("gpt-4o*", "anthropic/*"); teams without an entry get data.config.model_allowlist.default, and everything is
# allowed when neither is set. Names compare case-insensitively.
package sidecar

model_patterns := data.config.model_allowlist.teams[input.subject.team]

model_patterns := object.get(data.config, ["model_allowlist", "default"], ["*"]) if {
	not data.config.model_allowlist.teams[input.subject.team]
}

# Cheapest test first: glob patterns are compiled on every evaluation inside Wasm, so they only run when neither
# "*" nor an exact name matched.
model_allowed if {
	"*" in model_patterns
} else if {
	lower(input.request.model) in {lower(pattern) | some pattern in model_patterns}
} else if {
	some pattern in model_patterns
	contains(pattern, "*")
	glob.match(lower(pattern), null, lower(input.request.model))
}

deny contains reason if {
	not model_allowed
	reason := {
		"code": "model_not_allowed",
		"message": sprintf("Model %q is not allowed for team %q; allowed: %s.", [
			input.request.model,
			input.subject.team,
			concat(", ", model_patterns),
		]),
		"policy": "model_allowlist",
	}
}
