# Which teams a request may claim through the x-llm-team header. The header only names the team when the operator
# turned on identity.trust-team-header (single-tenant or development setups); input.subject.team_source then says
# "header" instead of "pod". data.config.identity.header_teams_allowed lists the team names a header may claim
# ("*" for any, as shipped); a header team outside the list is denied. The pod's own team is never restricted here:
# the pod spec, not the app, chose it. A data.json without the key restricts nothing: trusting the header is already
# an explicit choice in the sidecar's configuration, and this list is how to narrow it.
package sidecar

header_teams_allowed := object.get(data.config, ["identity", "header_teams_allowed"], ["*"])

header_teams_listed := "none" if {
	count(header_teams_allowed) == 0
} else := concat(", ", header_teams_allowed)

header_team_allowed if {
	"*" in header_teams_allowed
} else if {
	input.subject.team in header_teams_allowed
}

deny contains reason if {
	input.subject.team_source == "header"
	not header_team_allowed
	reason := {
		"code": "header_team_not_allowed",
		"message": sprintf("Team %q came from the x-llm-team header, which this policy does not accept for that team; allowed: %s. Omit the header to use the pod's team, or add the team to data.config.identity.header_teams_allowed.", [
			input.subject.team,
			header_teams_listed,
		]),
		"policy": "identity",
	}
}
