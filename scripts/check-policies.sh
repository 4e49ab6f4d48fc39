#!/usr/bin/env bash
# The policy checks `make test` runs (through mvn verify): formatting, strict compilation and the Rego unit
# tests of policies/. Fails, never skips, when opa is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
opa="$root/scripts/opa.sh"
cd "$root/policies"
if ! "$opa" fmt --fail -l . >/dev/null; then
  echo "Rego files need formatting (run: scripts/opa.sh fmt -w policies/):" >&2
  "$opa" fmt -l . >&2
  exit 1
fi
# kustomization.yaml (the ConfigMap generator for k8s/) is not policy data.
"$opa" check --strict --ignore kustomization.yaml .
# The result also goes to sidecar/target/opa-test.txt for the summary `make test` prints (scripts/test-summary.sh).
mkdir -p "$root/sidecar/target"
"$opa" test --ignore kustomization.yaml . | tee "$root/sidecar/target/opa-test.txt"
