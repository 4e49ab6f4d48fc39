#!/usr/bin/env bash
# One JVM flag set measured the way docs/BENCHMARKS.md ("The JVM as a sidecar") reports it: time to ready, RSS 3 s
# after ready, and peak RSS (VmHWM) after 8 s of wrk with 64 connections against the stub, full default pipeline.
#   scripts/bench/jvm-flags.sh "-XX:ActiveProcessorCount=1 -XX:MaxRAM=384m -XX:+UseSerialGC ..."
# With -XX:NativeMemoryTracking=summary in the flags it also prints the JVM's committed memory by kind (jcmd
# VM.native_memory: heap, metaspace and class space, thread stacks, code cache, GC, direct buffers under "Other"),
# idle and right after the load, beside the process's RSS. Environment: JVM_FLAGS_ENV="NAME=value ..." is passed to
# the sidecar (e.g. MALLOC_ARENA_MAX=2); JVM_FLAGS_SSE=1 sends streamed requests instead of JSON;
# JVM_FLAGS_DURATION=45s loads longer than the default 8 s (the heap of the serial collector keeps growing for tens of
# seconds, so `make bench`'s RSS at 64 connections is only reached after 30 s or more); JVM_FLAGS_BODY=file sends that
# body instead (e.g. a 400 KB prompt, to load the in-flight body budget). rss_load is the largest RSS sampled every
# 200 ms over the second half of the load (as `make bench` samples its measured runs, after a warm-up), rss_end RSS
# when the load ends, rss_peak the process's high-water mark (it includes the JIT's warm-up).
# Needs make build (the jar and its AOT cache) and scripts/setup.sh bench (benchtool, wrk). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
flags=$1
# A cache older than the jar runs the previous build's classes (docs/BENCHMARKS.md, issue 19 item 7): with the policy's
# compiled Wasm class from another build the policy fails to load and the sidecar never gets ready.
aot=$(sed -n 's/.*-XX:AOTCache=\([^ ]*\).*/\1/p' <<<"$flags")
if [[ -n $aot && -f $aot && $aot -ot sidecar/target/llm-sidecar.jar ]]; then
  echo "$aot is older than sidecar/target/llm-sidecar.jar: run make build first" >&2
  exit 1
fi
read -r port admin up <<<"$(.tools/bin/benchtool freeport -n 3)"
.tools/bin/benchtool upstream -addr "127.0.0.1:$up" -cassettes sidecar/src/test/resources/cassettes >/dev/null 2>&1 &
upstream=$!
log=$(mktemp)
keep_or_remove_log() {
  if [[ -n ${JVM_FLAGS_KEEP_LOG:-} ]]; then echo "log: $log" >&2; else rm -f "$log"; fi
}
trap 'kill $upstream ${sidecar:-} 2>/dev/null; keep_or_remove_log' EXIT
sleep 0.5
t0=$(date +%s%N)
# shellcheck disable=SC2086
env -i PATH="$PATH" ${JVM_FLAGS_ENV:-} SIDECAR_PORT="$port" SIDECAR_ADMIN_PORT="$admin" SIDECAR_UPSTREAM_URL="http://127.0.0.1:$up/v1" \
  SIDECAR_UPSTREAM_API_KEY=bench SIDECAR_PRICING_REFRESH=0 SIDECAR_TEAM=bench \
  SIDECAR_CONFIG=scripts/bench/sidecar-budgets.yaml SIDECAR_ACCESS_LOG=false SIDECAR_DECISION_LOG=off \
  "$JAVA_HOME/bin/java" $flags -jar sidecar/target/llm-sidecar.jar >"$log" 2>&1 &
sidecar=$!
until curl -sf "127.0.0.1:$admin/health/ready" >/dev/null; do
  kill -0 "$sidecar" 2>/dev/null || { tail "$log"; exit 1; }
  sleep 0.02
done
t1=$(date +%s%N)
sleep 3
idle=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$sidecar/status")
nmt() {
  [[ $flags == *NativeMemoryTracking* ]] || return 0
  echo "-- $1: RSS $(awk '/VmRSS/{print int($2/1024)}' "/proc/$sidecar/status") MiB, of which the AOT cache's" \
    "mapping $(awk '/^[0-9a-f]+-/ { aot = ($0 ~ /\.aot$/) } aot && /^Rss:/ { kb += $2 } END { print int(kb / 1024) }' \
      "/proc/$sidecar/smaps") MiB and anonymous memory $(awk '/RssAnon/{print int($2/1024)}' "/proc/$sidecar/status")" \
    "MiB; NMT committed, MiB:"
  "$JAVA_HOME/bin/jcmd" "$sidecar" VM.native_memory summary scale=MB |
    awk '/^Total:/ { sub(/.*committed=/, ""); print "   total " $0 }
         /^-/ && /committed=/ { name = $0; sub(/^- */, "", name); sub(/ *\(.*/, "", name); c = $0;
                                sub(/.*committed=/, "", c); sub(/\).*/, "", c); if (c + 0 >= 1) print "   " name " " c }'
}
nmt idle >&2
body=scripts/bench/request.json
[[ -z ${JVM_FLAGS_SSE:-} ]] || body=scripts/bench/request-stream.json
body=${JVM_FLAGS_BODY:-$body}
duration=${JVM_FLAGS_DURATION:-8s}
half=$(( $(sed 's/s$//' <<<"$duration") / 2 ))
samples=$(mktemp)
( sleep "$half"; while kill -0 "$sidecar" 2>/dev/null; do
    awk '/VmRSS/{print int($2/1024)}' "/proc/$sidecar/status" >>"$samples"; sleep 0.2; done ) &
sampler=$!
result=$(BENCH_BODY=$body BENCH_HEADERS='x-llm-team: bench' \
  wrk -t1 -c64 -d"$duration" -s scripts/bench/wrk.lua "http://127.0.0.1:$port/v1/chat/completions" | grep BENCH_RESULT)
kill "$sampler" 2>/dev/null || true
load=$(sort -n "$samples" | tail -1)
rm -f "$samples"
end=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$sidecar/status")
peak=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$sidecar/status")
nmt "after $duration of 64 connections" >&2
kill -0 "$sidecar" 2>/dev/null || { echo "the sidecar died:" >&2; tail -5 "$log" >&2; }
rate=$(sed -n 's/.*"requests":\([0-9]*\),"seconds":\([0-9.]*\).*/\1 \2/p' <<<"$result" | awk '{printf "%.0f", $1 / $2}')
echo "flags='$flags' ready=$(( (t1 - t0) / 1000000 )) ms rss_idle=${idle} MiB rss_load=${load:-?} MiB" \
  "rss_end=${end} MiB" \
  "rss_peak=${peak} MiB req/s=${rate} wrk: ${result#BENCH_RESULT }"
