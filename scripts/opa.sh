#!/usr/bin/env bash
# Runs the project's pinned opa: .tools/bin/opa (installed by `scripts/setup.sh run`), else the opa on PATH.
#   scripts/opa.sh <opa arguments...>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -x "$root/.tools/bin/opa" ]]; then
  exec "$root/.tools/bin/opa" "$@"
fi
if command -v opa >/dev/null; then
  exec opa "$@"
fi
echo "opa not found (neither $root/.tools/bin/opa nor on PATH): run scripts/setup.sh run, which installs it" >&2
exit 127
