#!/usr/bin/env bash
# System calls per request of one sidecar mode (strace -c on the running JVM, every thread) after 20 s of warm-up,
# over 4 s of wrk at 4 connections (settings below): how many writes a stream costs, whether keep-alive holds (no
# connect per request), how often threads wake each other (futex). strace slows the JVM, so the counts matter, not
# the times.
#   scripts/bench/syscalls.sh MODE KIND [JVM_FLAG...]      e.g. scripts/bench/syscalls.sh passthrough sse
# SYSCALLS_CONNECTIONS=4 sets wrk's connections; SYSCALLS_GAP_MS=0 makes each connection wait that long before each
# request, as a pod sending a few requests a second does (the gateway connection then idles in the client's pool).
# Needs make build, scripts/setup.sh bench and strace (ptrace allowed). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
[[ $# -ge 2 ]] || { echo "usage: $0 MODE json|sse [JVM_FLAG...]" >&2; exit 2; }
mode=$1 kind=$2
shift 2
BENCH_WORK=$PWD/target/bench-syscalls
source scripts/bench/lib.sh
command -v strace >/dev/null || bench_die "strace is missing"
bench_start_mode "$mode" "$kind" "$@"
connections=${SYSCALLS_CONNECTIONS:-4}
load() { BENCH_BODY=$BENCH_REQUEST BENCH_HEADERS="x-llm-team: bench" BENCH_GAP_MS=${SYSCALLS_GAP_MS:-0} \
           wrk -t1 "-c$connections" "-d$1" -s scripts/bench/wrk.lua "$SIDECAR_URL"; }
load 20s >/dev/null
java_pid=$(pgrep -P "$SIDECAR_PID" java || echo "$SIDECAR_PID")
timeout -s INT 6 strace -c -f -p "$java_pid" -o "$BENCH_WORK/strace.txt" &
tracer=$!
sleep 0.5
requests=$(load 4s | sed -n 's/.*BENCH_RESULT {"requests":\([0-9]*\).*/\1/p')
wait "$tracer" || true
echo "$requests requests ($kind, $mode) while traced; system calls per request:"
awk -v r="$requests" '$NF != "total" && $NF ~ /^[a-z_0-9]+$/ && NR > 2 {
    calls = ($4 ~ /^[0-9]+$/) ? $4 : $3; if (calls / r >= 0.01) printf "%8.2f  %s\n", calls / r, $NF }' \
  "$BENCH_WORK/strace.txt" | sort -rn
