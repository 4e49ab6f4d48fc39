package sidecar_test

import data.sidecar

test_the_pods_team_is_never_restricted if {
	decision := sidecar.decision with input as with_subject({"team_source": "pod"})
		with data.config.identity.header_teams_allowed as []
	not "header_team_not_allowed" in codes(decision)
}

test_without_a_list_every_header_team_is_allowed if {
	decision := sidecar.decision with input as with_subject({"team": "someone-else-1", "team_source": "header"})
		with data.config as {}
	not "header_team_not_allowed" in codes(decision)
}

test_an_empty_list_denies_every_header_team if {
	decision := sidecar.decision with input as with_subject({"team": "someone-else-1", "team_source": "header"})
		with data.config.identity.header_teams_allowed as []
	not decision.allow
	some reason in decision.reasons
	reason.code == "header_team_not_allowed"
	reason.policy == "identity"
	startswith(reason.message, "Team \"someone-else-1\" came from the x-llm-team header")
	contains(reason.message, "allowed: none.")
}

test_a_listed_header_team_is_allowed if {
	decision := sidecar.decision with input as with_subject({"team": "search", "team_source": "header"})
		with data.config.identity.header_teams_allowed as ["payments", "search"]
	not "header_team_not_allowed" in codes(decision)
}

test_an_unlisted_header_team_is_denied_and_the_list_is_named if {
	decision := sidecar.decision with input as with_subject({"team": "someone-else-2", "team_source": "header"})
		with data.config.identity.header_teams_allowed as ["payments", "search"]
	some reason in decision.reasons
	reason.code == "header_team_not_allowed"
	contains(reason.message, "allowed: payments, search.")
}

test_a_star_allows_every_header_team if {
	decision := sidecar.decision with input as with_subject({"team": "anything", "team_source": "header"})
		with data.config.identity.header_teams_allowed as ["*"]
	not "header_team_not_allowed" in codes(decision)
}

test_team_names_compare_exactly if {
	decision := sidecar.decision with input as with_subject({"team": "Payments", "team_source": "header"})
		with data.config.identity.header_teams_allowed as ["payments"]
	"header_team_not_allowed" in codes(decision)
}

# The shipped data accepts any header team: the operator who turned the header on decides; narrowing it is one edit.
test_shipped_data_allows_header_teams if {
	decision := sidecar.decision with input as with_subject({"team": "someone-else-3", "team_source": "header"})
	not "header_team_not_allowed" in codes(decision)
}
