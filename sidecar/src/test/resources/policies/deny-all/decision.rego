# A shadow policy for tests: would deny everything.
package sidecar

decision := {
	"allow": false,
	"reasons": [{"code": "shadow_says_no", "message": "The shadow policy denies everything.", "policy": "shadow_test"}],
	"patch": {},
}
