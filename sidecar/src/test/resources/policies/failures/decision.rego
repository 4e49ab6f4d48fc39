# Allows everything, except models that make the evaluation fail in a particular way.
package sidecar

default decision := {"allow": true, "reasons": [], "patch": {}}

# semver.compare is not available in the sidecar's Wasm runtime.
decision := {"allow": semver.compare("1.0.0", "2.0.0") < 0, "reasons": [], "patch": {}} if {
	input.request.model == "missing-builtin"
}

# Nine million iterations: far longer than any evaluation timeout.
decision := {"allow": count(endless) >= 0, "reasons": [], "patch": {}} if {
	input.request.model == "slow"
}

endless := [x |
	some i in numbers.range(1, 3000)
	some j in numbers.range(1, 3000)
	x := i * j
	x < 0
]

decision := {"allow": true, "reasons": [], "patch": {"temperature": 0}} if {
	input.request.model == "bad-patch"
}
