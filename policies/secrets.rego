# Secrets never leave the pod. The sidecar's detectors scan every prompt text once, in linear time, and put what
# they found into input.findings: per kind, a count and the places (never the text), e.g.
#   {"aws_access_key": {"count": 1, "where": ["messages[1].content"]}}
# This file decides on those findings, per kind, as data.config.findings says: "deny" refuses the request, "shadow"
# lets it through with a warning (logged and counted, not enforced), "allow" ignores the kind. A kind the
# configuration does not name is denied. Messages name the kind and the place, never the secret itself.
package sidecar

finding_labels := {
	"aws_access_key": "AWS access key id",
	"private_key": "private key",
	"github_token": "GitHub token",
	"openai_key": "OpenAI API key",
	"slack_token": "Slack token",
	"slack_webhook": "Slack webhook URL",
	"google_api_key": "Google API key",
	"jwt": "JSON Web Token",
	"payment_card": "payment card number",
	"email": "e-mail address",
	"phone": "phone number",
}

# Cards and personal data get codes of their own, so that metrics and callers can tell them from credentials.
finding_codes := {
	"payment_card": "card_number_in_prompt",
	"email": "pii_in_prompt",
	"phone": "pii_in_prompt",
}

finding_nouns := {
	"secret_in_prompt": "a secret",
	"card_number_in_prompt": "a payment card number",
	"pii_in_prompt": "personal data",
}

finding_action(kind) := object.get(object.get(data.config, "findings", {}), kind, "deny")

finding_code(kind) := object.get(finding_codes, kind, "secret_in_prompt")

# "AWS access key id in messages[1].content", naming at most three places.
finding_description(kind, finding) := sprintf("%s in %s%s", [
	object.get(finding_labels, kind, kind),
	concat(", ", array.slice(finding.where, 0, 3)),
	more_places(count(finding.where)),
])

more_places(n) := sprintf(" and %d more", [n - 3]) if n > 3

more_places(n) := "" if n <= 3

findings_reasons(action) := {reason |
	some code in {finding_code(kind) | some kind, _ in input.findings; finding_action(kind) == action}
	descriptions := sort([finding_description(kind, finding) |
		some kind, finding in input.findings
		finding_action(kind) == action
		finding_code(kind) == code
	])
	reason := {
		"code": code,
		"message": sprintf(
			"The prompt contains what looks like %s (%s); remove it before sending.",
			[finding_nouns[code], concat("; ", descriptions)],
		),
		"policy": "secrets",
	}
}

deny contains reason if {
	some reason in findings_reasons("deny")
}

warnings contains reason if {
	some reason in findings_reasons("shadow")
}
