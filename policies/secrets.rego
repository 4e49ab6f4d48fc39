# Secrets never leave the pod: a prompt containing a credential or a card number is refused. Messages name the
# kind of secret, never the secret itself.
package sidecar

# A literal every secret of a kind contains, searched as one alternation. The sidecar answers regex.find_n on a
# plain alternation of literals with a substring search, so a clean prompt costs one fast scan; the precise
# pattern of a kind runs only when its marker is present.
secret_markers := `AKIA|ASIA|ABIA|ACCA|PRIVATE KEY|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|sk-|xoxa-|xoxb-|xoxp-|xoxo-|xoxs-|xoxr-|hooks\.slack\.com`

secret_marker_kinds := {
	"AKIA": "AWS access key id",
	"ASIA": "AWS access key id",
	"ABIA": "AWS access key id",
	"ACCA": "AWS access key id",
	"PRIVATE KEY": "private key",
	"ghp_": "GitHub token",
	"gho_": "GitHub token",
	"ghu_": "GitHub token",
	"ghs_": "GitHub token",
	"ghr_": "GitHub token",
	"github_pat_": "GitHub token",
	"sk-": "OpenAI API key",
	"xoxa-": "Slack token",
	"xoxb-": "Slack token",
	"xoxp-": "Slack token",
	"xoxo-": "Slack token",
	"xoxs-": "Slack token",
	"xoxr-": "Slack token",
	"hooks.slack.com": "Slack webhook URL",
}

secret_patterns := {
	"AWS access key id": `\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`,
	"private key": `-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`,
	"GitHub token": `\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`,
	"OpenAI API key": `\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}`,
	"Slack token": `\bxox[abposr]-[0-9A-Za-z-]{10,}`,
	"Slack webhook URL": `https://hooks\.slack\.com/services/T[0-9A-Za-z_]+/B[0-9A-Za-z_]+/[0-9A-Za-z_]+`,
}

# 13 to 19 digits, optionally grouped by single spaces or dashes, not inside a longer number.
card_candidate := `\b(?:\d[ -]?){12,18}\d\b`

secret_kinds contains kind if {
	some text in prompt_texts
	some marker in regex.find_n(secret_markers, text, -1)
	kind := secret_marker_kinds[marker]
	count(regex.find_n(secret_patterns[kind], text, 1)) > 0
}

# Text with fewer than 13 digits cannot hold a card number; counting digits is a cheap literal search, the card
# pattern is not.
secret_kinds contains "card number" if {
	some text in prompt_texts
	count(regex.find_n("0|1|2|3|4|5|6|7|8|9", text, 13)) == 13
	some candidate in regex.find_n(card_candidate, text, -1)
	luhn_valid(strings.replace_n({" ": "", "-": ""}, candidate))
}

deny contains reason if {
	count(secret_kinds) > 0
	reason := {
		"code": "secret_in_prompt",
		"message": sprintf("The prompt contains what looks like a secret (%s); remove it before sending.", [concat(", ", sort(secret_kinds))]),
		"policy": "secrets",
	}
}

# The Luhn checksum that every payment card number satisfies; it keeps order and phone numbers out.
luhn_valid(digits) if {
	n := count(digits)
	total := sum([luhn_value(to_number(d), n - i) | some i, d in split(digits, "")])
	total % 10 == 0
}

# pos counts from the right, starting at 1: every second digit is doubled, and a two-digit result loses 9.
luhn_value(d, pos) := d if pos % 2 == 1

luhn_value(d, pos) := d * 2 if {
	pos % 2 == 0
	d < 5
}

luhn_value(d, pos) := (d * 2) - 9 if {
	pos % 2 == 0
	d >= 5
}
