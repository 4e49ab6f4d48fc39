#!/usr/bin/env bash
# Compiles the default policy set (policies/, without its *_test.rego) into the Wasm bundle the jar ships, and
# optionally extracts the bundle's policy.wasm, which the build compiles to Java classes (chicory-compiler-maven-plugin).
# The Maven build runs it in generate-sources; it needs opa (scripts/setup.sh run installs it).
#   scripts/build-policies.sh <output bundle.tar.gz> [<output policy.wasm>]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=$(realpath -m "${1:?usage: scripts/build-policies.sh <output bundle.tar.gz> [<output policy.wasm>]}")
mkdir -p "$(dirname "$out")"
# Built from inside policies/ so the bundle records relative paths, not this machine's.
cd "$root/policies"
"$root/scripts/opa.sh" build -t wasm -e sidecar/decision --ignore '*_test.rego' --ignore kustomization.yaml -o "$out" .
if [[ $# -ge 2 ]]; then
  wasm=$(realpath -m "$2")
  mkdir -p "$(dirname "$wasm")"
  tar -xzPOf "$out" /policy.wasm > "$wasm"
fi
