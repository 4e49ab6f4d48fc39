# A small policy for the reload tests: models listed in data.blocked are denied.
package sidecar

decision := {
	"allow": count(reasons) == 0,
	"reasons": reasons,
	"patch": {},
}

reasons contains {"code": "model_blocked", "message": concat("", ["Model ", input.request.model, " is blocked."])} if {
	input.request.model in data.blocked
}
