#!/usr/bin/env bash
# Compiles the default policy set (policies/, without its *_test.rego) into the Wasm bundle the jar ships.
# The Maven build runs it in generate-resources; it needs opa (scripts/setup.sh run installs it).
#   scripts/build-policies.sh <output bundle.tar.gz>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=$(realpath -m "${1:?usage: scripts/build-policies.sh <output bundle.tar.gz>}")
mkdir -p "$(dirname "$out")"
# Built from inside policies/ so the bundle records relative paths, not this machine's.
cd "$root/policies"
"$root/scripts/opa.sh" build -t wasm -e sidecar/decision --ignore '*_test.rego' --ignore kustomization.yaml -o "$out" .
