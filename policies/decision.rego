# The entrypoint the sidecar evaluates for every chat completion: sidecar/decision (data.sidecar.decision).
# Every other file in this package adds reasons to `deny` or fields to `patch`; see README.md for the contract.
package sidecar

decision := {
	"allow": count(deny) == 0,
	"reasons": deny,
	"patch": patch,
	"warnings": warnings,
}
