# Secrets never leave the pod. The sidecar's detectors scan every prompt text once, in linear time, and put what
# they found into input.findings: per kind, a count, the places (never the text) and the highest confidence, e.g.
#   {"aws_access_key": {"count": 1, "where": ["messages[1].content"], "confidence": "high", "high": 1, "low": 0}}
# This file decides on those findings, per kind, as data.config.findings says: "deny" refuses the request, "shadow"
# lets it through with a warning (logged and counted, not enforced), "allow" ignores the kind; or an object with an
# action per confidence, {"high": "deny", "low": "shadow"}, applied to the kind's highest confidence. A kind (or a
# confidence) the configuration does not name is denied, and so is a finding without a confidence. Messages name
# the kind and the place, never the secret itself.
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

finding_action(kind, finding) := confidence_action(
	object.get(object.get(data.config, "findings", {}), kind, "deny"),
	object.get(finding, "confidence", "high"),
)

confidence_action(configured, _) := configured if is_string(configured)

confidence_action(configured, confidence) := object.get(configured, confidence, "deny") if is_object(configured)

# A configured value that is neither fails closed.
confidence_action(configured, _) := "deny" if {
	not is_string(configured)
	not is_object(configured)
}

finding_code(kind) := object.get(finding_codes, kind, "secret_in_prompt")

# "AWS access key id in messages[1].content", naming at most three places; "(low confidence)" when no match of the
# kind was more than a bare run of digits.
finding_description(kind, finding) := sprintf("%s%s in %s%s", [
	object.get(finding_labels, kind, kind),
	confidence_note(finding),
	concat(", ", array.slice(finding.where, 0, 3)),
	more_places(count(finding.where)),
])

confidence_note(finding) := " (low confidence)" if finding.confidence == "low"

confidence_note(finding) := "" if not finding.confidence == "low"

more_places(n) := sprintf(" and %d more", [n - 3]) if n > 3

more_places(n) := "" if n <= 3

findings_reasons(action) := {reason |
	some code in {finding_code(kind) | some kind, finding in input.findings; finding_action(kind, finding) == action}
	descriptions := sort([finding_description(kind, finding) |
		some kind, finding in input.findings
		finding_action(kind, finding) == action
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
