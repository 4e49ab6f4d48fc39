#!/usr/bin/env bash
# The short summary `make test` ends with: JUnit tests run/failed/skipped from the surefire (unit) and failsafe
# (integration) reports, the `opa test` result, where the logs are, and a last line CI can parse:
#   Tests: <passed> passed, <failed> failed
# Reads only what the last run wrote (the Makefile clears old reports first).
set -uo pipefail
cd "$(dirname "$0")/.."
target=sidecar/target
passed=0
failed=0

# Prints "<tests> <failures> <errors> <skipped>" summed over the TEST-*.xml files in $1; lists failed suites on fd 3.
sum_reports() {
  local dir=$1 tests=0 failures=0 errors=0 skipped=0 f head t fl e s
  for f in "$dir"/TEST-*.xml; do
    [[ -e $f ]] || continue
    head=$(grep -o -m1 '<testsuite [^>]*>' "$f")
    t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$head")
    fl=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$head")
    e=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<<"$head")
    s=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<<"$head")
    tests=$((tests + ${t:-0})); failures=$((failures + ${fl:-0})); errors=$((errors + ${e:-0}))
    skipped=$((skipped + ${s:-0}))
    if (( ${fl:-0} + ${e:-0} > 0 )); then
      local suite=${f##*/TEST-}; suite=${suite%.xml}
      echo "    FAILED $suite (log: $dir/$suite-output.txt)" >&3
    fi
  done
  echo "$tests $failures $errors $skipped"
}

junit() { # junit <label> <report dir>
  local label=$1 dir=$2 failures_list tests failures errors skipped
  if ! compgen -G "$dir/TEST-*.xml" >/dev/null; then
    printf '  %-30s not run\n' "$label"
    return
  fi
  failures_list=$(mktemp)
  read -r tests failures errors skipped < <(sum_reports "$dir" 3>"$failures_list")
  printf '  %-30s %d run, %d failed, %d errors, %d skipped\n' "$label" "$tests" "$failures" "$errors" "$skipped"
  cat "$failures_list"; rm -f "$failures_list"
  passed=$((passed + tests - failures - errors - skipped))
  failed=$((failed + failures + errors))
}

echo
echo "== Test summary =="
junit "JUnit unit (surefire):" "$target/surefire-reports"
junit "JUnit integration (failsafe):" "$target/failsafe-reports"
if [[ -s $target/opa-test.txt ]]; then
  result=$(grep -E '^(PASS|FAIL|ERROR)' "$target/opa-test.txt" | tail -1)
  printf '  %-30s %s\n' "Policies (opa test):" "${result:-see $target/opa-test.txt}"
  if [[ $result =~ ^PASS:\ ([0-9]+)/([0-9]+) ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  elif [[ $result =~ ^FAIL:\ ([0-9]+)/([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1])); passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  else
    failed=$((failed + 1))
  fi
else
  printf '  %-30s not run\n' "Policies (opa test):"
fi
echo "  Logs: $target/{surefire,failsafe}-reports/*-output.txt, sidecar processes in $target/test-logs/"
echo "Tests: $passed passed, $failed failed"
