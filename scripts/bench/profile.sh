#!/usr/bin/env bash
# Profiles the sidecar under load with JDK Flight Recorder and prints where its CPU goes. The JVM starts with
# -XX:StartFlightRecording (settings=profile; whole.jfr, written when it exits, covers startup and warm-up too);
# after the warm-up a second recording covers the measured load window alone (load.jfr), which is summarised: hot
# methods, the sidecar's own frames on those stacks, allocation sites.
#
#   scripts/bench/profile.sh [MODE]     MODE: full (default), passthrough, redis: scripts/bench/sidecar-MODE.env
# Settings (environment): PROFILE_DURATION=20s  PROFILE_WARMUP=20s  PROFILE_CONNECTIONS=16  PROFILE_KIND=json|sse
#                         PROFILE_TOP=25 (rows per table)
#                         PROFILE_GAP_MS=0: each connection waits that long before each request (wrk.lua's delay), to
#                         profile a low request rate (with PROFILE_CONNECTIONS=1: a pod sending a request now and then)
#                         PROFILE_JFR=off: no Flight Recorder (its sampling and stack walks cost CPU and slow the JIT's
#                         warm-up); needs PROFILE_ASYNC, whose profile is then the only output
#                         PROFILE_ASYNC=path/to/libasyncProfiler.so: also samples the load window with async-profiler
#                         (every 1 ms of CPU time, all threads including the JVM's own: JIT, GC); the library is
#                         loaded at start with -agentpath and started and stopped with jcmd JVMTI.agent_load (options
#                         quoted: jcmd would read "event=cpu" as its own argument); it comes from
#                         tools.profiler:async-profiler:4.1's jar (linux-x64/libasyncProfiler.so). Writes
#                         load-cpu.collapsed and load-cpu.html (flame graph) and prints the top self frames and the
#                         sidecar's own frames.
#                         PROFILE_EVENT=event=alloc,alloc=64k: async-profiler samples that event instead of CPU time
#                         (the files keep their names; the summary's shares are then of that event's samples)
# The recordings stay in target/bench-profile/ for `jfr view <view> FILE` or JDK Mission Control.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
BENCH_WORK=$PWD/target/bench-profile
source scripts/bench/lib.sh

mode=${1:-full}
env_file=scripts/bench/sidecar-$mode.env
[[ -f $env_file ]] || bench_die "no $env_file; modes are the scripts/bench/sidecar-*.env files"
duration=${PROFILE_DURATION:-20s}
warmup=${PROFILE_WARMUP:-20s}
connections=${PROFILE_CONNECTIONS:-16}
kind=${PROFILE_KIND:-json}
top=${PROFILE_TOP:-25}
[[ $kind == json || $kind == sse ]] || bench_die "PROFILE_KIND is json or sse, not '$kind'"
command -v wrk >/dev/null || bench_die "wrk is missing; run scripts/setup.sh bench."
async=${PROFILE_ASYNC:-}
event=${PROFILE_EVENT:-event=cpu,interval=1ms}
[[ -z $async || -f $async ]] || bench_die "PROFILE_ASYNC=$async is not a file"
jfr_on=true
[[ ${PROFILE_JFR:-on} != off ]] || jfr_on=false
$jfr_on || [[ -n $async ]] || bench_die "PROFILE_JFR=off needs PROFILE_ASYNC: nothing would record the load"

jfr_flags=()
$jfr_on && jfr_flags=(
  "-XX:StartFlightRecording=name=whole,settings=profile,dumponexit=true,filename=$BENCH_WORK/whole.jfr")
# The library is loaded at start (idle until told to start): attached later, it would ask for JVMTI capabilities
# that make the JVM throw away compiled code, and the load window would measure the JIT compiling it again.
bench_start_mode "$mode" "$kind" ${async:+-XX:+EnableDynamicAgentLoading "-agentpath:$async"} "${jfr_flags[@]}"
bench_say "sidecar ($mode) ready in $READY_MS ms; warming up for $warmup"
load() { BENCH_BODY=$BENCH_REQUEST BENCH_HEADERS="x-llm-team: bench" BENCH_GAP_MS=${PROFILE_GAP_MS:-0} \
           wrk -t1 "-c$connections" "-d$1" --latency \
           -s scripts/bench/wrk.lua "$SIDECAR_URL"; }
load "$warmup" >/dev/null

bench_say "recording $duration of $kind requests on $connections connections"
! $jfr_on || "$JAVA_HOME/bin/jcmd" "$SIDECAR_PID" JFR.start name=load settings=profile >/dev/null
[[ -z $async ]] || "$JAVA_HOME/bin/jcmd" "$SIDECAR_PID" JVMTI.agent_load "$async" \
  "\"start,$event\"" >/dev/null
cpu_before=$(awk '{print $14 + $15}' "/proc/$SIDECAR_PID/stat")
load "$duration" | grep -E 'Requests/sec|Latency  |Non-2xx|errors|BENCH_RESULT' >&2 || true
cpu_after=$(awk '{print $14 + $15}' "/proc/$SIDECAR_PID/stat")
if [[ -n $async ]]; then
  "$JAVA_HOME/bin/jcmd" "$SIDECAR_PID" JVMTI.agent_load "$async" "\"dump,file=$BENCH_WORK/load-cpu.html\"" >/dev/null
  "$JAVA_HOME/bin/jcmd" "$SIDECAR_PID" JVMTI.agent_load "$async" \
    "\"stop,collapsed,file=$BENCH_WORK/load-cpu.collapsed\"" >/dev/null
fi
! $jfr_on || "$JAVA_HOME/bin/jcmd" "$SIDECAR_PID" JFR.stop name=load "filename=$BENCH_WORK/load.jfr" >/dev/null
bench_say "sidecar CPU during the load window: $(( (cpu_after - cpu_before) * 10 )) ms (clock ticks of 10 ms);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! $jfr_on; then
  echo "== async-profiler, $event (every thread; no Flight Recorder)"
  scripts/bench/cpu-summary.py "$BENCH_WORK/load-cpu.collapsed" "$top"
  exit 0
fi
jfr=$JAVA_HOME/bin/jfr

echo "== Hot methods (jdk.ExecutionSample, top frame), $kind, $connections connections, $duration"
"$jfr" view --width 160 hot-methods "$BENCH_WORK/load.jfr" | head -n $(( top + 6 ))

echo
echo "== The sidecar's own code on the sampled stacks: the innermost io.llmsidecar frame of each sample"
"$jfr" print --stack-depth 64 --events jdk.ExecutionSample "$BENCH_WORK/load.jfr" | awk -v top="$top" '
  /stackTrace = \[/ { inside = 1; found = 0; next }
  inside && /^[[:space:]]*\]/ { if (!found) frames["(no io.llmsidecar frame: server, client or JVM threads)"]++;
                                total++; inside = 0; next }
  inside && !found && /io\.llmsidecar\./ { sub(/^[[:space:]]+/, ""); sub(/[[:space:]]+line:.*/, ""); frames[$0]++;
                                           found = 1 }
  END { for (f in frames) printf "%6.1f%%  %s\n", 100 * frames[f] / total, f }' | sort -rn | head -n "$top"

echo
echo "== Allocation by site"
"$jfr" view --width 160 allocation-by-site "$BENCH_WORK/load.jfr" | head -n $(( top + 6 ))
if [[ -n $async ]]; then
  echo
  echo "== async-profiler, CPU (every 1 ms of CPU time, every thread)"
  scripts/bench/cpu-summary.py "$BENCH_WORK/load-cpu.collapsed" "$top"
fi
bench_say "recordings: $BENCH_WORK/load.jfr (load window), $BENCH_WORK/whole.jfr (from start, written on exit);" \
  "e.g. jfr view gc $BENCH_WORK/load.jfr"
