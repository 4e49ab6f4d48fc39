#!/usr/bin/env bash
# CPU per request at low request rates, the sidecar beside Envoy: one connection, each request sent a fixed pause
# after the previous answer (wrk.lua's delay), as a pod that calls its model a few times a second does. Each target
# is first warmed at 16 connections (the sidecar 60 s, so that the JIT has compiled the request path; Envoy 10 s),
# then measured for 15 s at each pause, and for 20 s with no request at all (the pauses' limit: a pod between bursts,
# its gateway connections idle in the pool). CPU is the target's whole process tree (utime + stime), p50 is wrk's.
#   scripts/bench/gaps.sh [MODE] [GAP_MS...]      MODE: full (default), passthrough, redis; GAP_MS default: 0 5 20
# Needs make build and scripts/setup.sh bench. Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
BENCH_WORK=$PWD/target/bench-gaps
source scripts/bench/lib.sh
mode=${1:-full}
shift || true
gaps=("$@")
[[ ${#gaps[@]} -gt 0 ]] || gaps=(0 5 20)
command -v wrk >/dev/null || bench_die "wrk is missing; run scripts/setup.sh bench."

ticks() {   # CPU clock ticks (10 ms) of a process and its children
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

measure() {     # measure NAME PID URL: a line per gap
  local name=$1 pid=$2 url=$3 gap before after result requests p50
  for gap in "${gaps[@]}"; do
    before=$(ticks "$pid")
    result=$(BENCH_BODY=$BENCH_REQUEST BENCH_HEADERS="x-llm-team: bench" BENCH_GAP_MS=$gap \
             wrk -t1 -c1 -d15s -s scripts/bench/wrk.lua "$url")
    after=$(ticks "$pid")
    requests=$(sed -n 's/.*BENCH_RESULT {"requests":\([0-9]*\).*/\1/p' <<<"$result")
    p50=$(sed -n 's/.*"p50":\([0-9.]*\).*/\1/p' <<<"$result")
    printf '%-22s pause %3s ms: %6d requests, p50 %6.3f ms, CPU %5d µs per request\n' \
      "$name" "$gap" "$requests" "$p50" $(((after - before) * 10000 / requests))
  done
  before=$(ticks "$pid")
  sleep 20
  after=$(ticks "$pid")
  printf '%-22s idle for 20 s after them: CPU %5d µs per second\n' "$name" $(((after - before) * 10000 / 20))
}

warm() {   # warm URL DURATION
  BENCH_BODY=$BENCH_REQUEST BENCH_HEADERS="x-llm-team: bench" wrk -t1 -c16 "-d$2" -s scripts/bench/wrk.lua "$1" \
    >/dev/null
}

bench_start_mode "$mode" json
bench_say "sidecar ($mode) ready in $READY_MS ms; warming up for 60 s at 16 connections"
java_pid=$(pgrep -P "$SIDECAR_PID" java || echo "$SIDECAR_PID")
warm "$SIDECAR_URL" 60s
measure "sidecar-$mode" "$java_pid" "$SIDECAR_URL"
bench_stop "$SIDECAR_PID"

bench_start_envoy
envoy_url=http://127.0.0.1:$ENVOY_PORT/v1/chat/completions
warm "$envoy_url" 10s
measure envoy "$ENVOY_PID" "$envoy_url"
