#!/usr/bin/env bash
# CPU per request of one sidecar mode over time, in 10 s windows of wrk at 16 connections against the stub: how far
# from steady a window is (the JIT compiler threads' share of the window's CPU), RSS, and req/s. The sidecar runs as
# make bench runs it (scripts/bench/sidecar-common.env and sidecar-MODE.env); extra JVM flags may follow.
#   scripts/bench/steady.sh MODE KIND WINDOWS [JVM_FLAG...]      e.g. scripts/bench/steady.sh passthrough sse 8
# Needs make build and scripts/setup.sh bench. Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
[[ $# -ge 3 ]] || { echo "usage: $0 MODE json|sse WINDOWS [JVM_FLAG...]" >&2; exit 2; }
mode=$1 kind=$2 windows=$3
shift 3
BENCH_WORK=$PWD/target/bench-steady
source scripts/bench/lib.sh
bench_start_mode "$mode" "$kind" "$@"
bench_say "sidecar ($mode) ready in $READY_MS ms"
ticks() { awk '{print $14 + $15}' "/proc/$SIDECAR_PID/stat"; }
jit_ticks() { # CPU of the JIT compiler threads (C1/C2 CompilerThread*)
  local sum=0 t
  for t in /proc/"$SIDECAR_PID"/task/*; do
    case $(cat "$t/comm" 2>/dev/null) in C1*|C2*) sum=$(( sum + $(awk '{print $14 + $15}' "$t/stat") )) ;; esac
  done
  echo "$sum"
}
printf '%-7s %9s %14s %12s %9s\n' window req/s "CPU/request" "JIT share" RSS
for i in $(seq "$windows"); do
  c0=$(ticks); j0=$(jit_ticks)
  out=$(BENCH_BODY=$BENCH_REQUEST BENCH_HEADERS="x-llm-team: bench" wrk -t1 -c16 -d10s -s scripts/bench/wrk.lua "$SIDECAR_URL")
  c1=$(ticks); j1=$(jit_ticks)
  requests=$(sed -n 's/.*BENCH_RESULT {"requests":\([0-9]*\).*/\1/p' <<<"$out")
  (( requests > 0 )) || bench_die "no requests answered in window $i"
  printf '%-7s %9.0f %11.0f µs %11.0f%% %5d MiB\n' "$i" "$(bc -l <<<"$requests / 10")" \
    "$(bc -l <<<"($c1 - $c0) * 10000 / $requests")" "$(bc -l <<<"100 * ($j1 - $j0) / (($c1 - $c0) + 0.0001)")" \
    "$(awk '/VmRSS/{print int($2 / 1024)}' "/proc/$SIDECAR_PID/status")"
done
