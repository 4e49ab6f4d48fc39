#!/usr/bin/env bash
# `make bench`: the end-to-end benchmark of issue 7, on 127.0.0.1 only. Starts a stub gateway (Go, golden cassettes),
# nginx as a thin reverse proxy, the sidecar in each mode (scripts/bench/sidecar-<mode>.env), Redis for the Redis
# mode and the Portkey gateway; measures every target interleaved (benchtool measure); writes the medians into
# docs/BENCHMARKS.md (between the bench markers) and docs/benchmarks.json. Every server it starts is stopped on exit.
#
# Settings (environment):
#   BENCH_DURATION=4s     length of each measured run        BENCH_ROUNDS=2   interleaved repetitions (medians over them)
#   BENCH_WARMUP=20s      longest warm-up per target and kind (it stops once throughput is steady)
#   BENCH_JVM_WARMUP=60s  shortest warm-up of each sidecar (the JIT reaches the policy's Wasm code late); then up
#                         to BENCH_WARMUP more until steady
#   BENCH_SHAPES="seq c16 c32 c64"   BENCH_KINDS="json sse"   (c32 is the shape of issue 19's comparison with nginx)
#   BENCH_TARGETS="direct nginx envoy envoy-ai-gateway sidecar-passthrough sidecar-full sidecar-redis litellm portkey"
#                         (envoy-ai-gateway: docs/bench-envoy-ai-gateway.md)
#   BENCH_PROMPTS=1       long and adversarial prompts (benchtool prompts) through direct and every sidecar, and
#                         `opa bench` on the same inputs; 0 skips them.   BENCH_PROMPT_COUNT=30 requests per prompt
#   BENCH_PROMPT_WARMUP=1s  unmeasured requests of each prompt to each sidecar before its 30 are measured
#   BENCH_FIRST_COUNT=1000  requests measured right after ready, before warm-up (the warm-up column)
#   BENCH_COLD_COUNT=300  the first requests after a fresh start: before the targets start, each sidecar mode gets
#                         a fresh JVM per series (100 KiB and 400 KiB source prompts, short JSON, short SSE) that
#                         is sent this many requests one at a time, then stopped; the same series go to direct.
#                         The report shows requests 1-16 and 100-300 of each. 0 skips them.
#   BENCH_PINNED_SHAPES="c16"  shapes measured a second time per round with every target pinned to one CPU
#                         (BENCH_PIN_CPU=1) and wrk, the sequential client, the stub and Redis on another
#                         (BENCH_LOAD_CPU=0), for CPU per request side by side; "" skips the pinned pass. Only c16 by
#                         default: all four shapes pinned would take a full run from ~20 to ~27 minutes.
#   BENCH_ENVOY_CONCURRENCY=2
#   BENCH_WRK_THREADS=1   BENCH_NGINX_WORKERS=auto   BENCH_PROBE_COUNT=10 (0: no buffering probe)
#   BENCH_NOTE="..."      a sentence put above the tables, e.g. that the machine was busy
#   BENCH_OUT=docs        where benchmarks.json and BENCHMARKS.md are written (e.g. target/bench for a smoke run)
#   BENCH_TOOL=.tools/bin/benchtool  where benchtool is built (another path keeps the shared .tools one as it is)
# A quick smoke run:  BENCH_DURATION=2s BENCH_WARMUP=10s BENCH_ROUNDS=1 BENCH_OUT=target/bench-out make bench
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
source scripts/bench/lib.sh

duration=${BENCH_DURATION:-4s}
warmup=${BENCH_WARMUP:-20s}
jvm_warmup=${BENCH_JVM_WARMUP:-60s}
rounds=${BENCH_ROUNDS:-2}
shapes=${BENCH_SHAPES:-seq c16 c32 c64}
pinned_shapes=${BENCH_PINNED_SHAPES-c16}
cold_count=${BENCH_COLD_COUNT:-300}
kinds=${BENCH_KINDS:-json sse}
targets=${BENCH_TARGETS:-direct nginx envoy envoy-ai-gateway sidecar-passthrough sidecar-full sidecar-redis litellm portkey}
prompts=${BENCH_PROMPTS:-1}
probe_count=${BENCH_PROBE_COUNT:-10}
out=${BENCH_OUT:-docs}

seconds() { # 5s, 500ms, 1m -> seconds (for the time estimate)
  case $1 in *ms) echo $(( ${1%ms} / 1000 ));; *s) echo "${1%s}";; *m) echo $(( ${1%m} * 60 ));; *) echo "$1";; esac
}
n() { wc -w <<<"$1"; }
# At most: every run, a full warm-up for each JVM (others are steady after two 2 s steps), probes, starting up.
jvms=$( (grep -o 'sidecar-[a-z]*' <<<"$targets" || true) | wc -l)   # grep fails when none is a sidecar
# The fresh-start series: about 15 s per sidecar mode; the long prompts: about 3 s per prompt and sidecar.
estimate=$(( rounds * ($(n "$shapes") + $(n "$pinned_shapes")) * $(n "$kinds") * $(n "$targets")
               * ($(seconds "$duration") + 1)
             + jvms * $(seconds "$jvm_warmup") + $(n "$kinds") * (jvms * $(seconds "$warmup")
             + ($(n "$targets") - jvms) * 4)
             + rounds * $(n "$targets") + 40
             + (cold_count > 0 ? jvms * 15 + 5 : 0) + (prompts != 0 ? 13 * (jvms * 3 + 1) : 0) ))
bench_say "targets: $targets; shapes: $shapes (pinned to one CPU as well: ${pinned_shapes:-none}); kinds: $kinds;" \
  "$rounds round(s) of $duration runs; at most about $(( estimate / 60 ))m$(( estimate % 60 ))s"
if [[ -n $pinned_shapes ]]; then
  command -v taskset >/dev/null || bench_die "BENCH_PINNED_SHAPES needs taskset (util-linux)"
  (( $(nproc) >= 2 )) || bench_die "BENCH_PINNED_SHAPES needs 2 CPUs (targets on one, load on another); set it to \"\""
fi

bench_init
bench_build_tool
[[ -f sidecar/target/llm-sidecar.jar ]] || bench_die "sidecar/target/llm-sidecar.jar is missing: run make build (make bench does)."

bench_start_upstream
export UPSTREAM_URL REDIS_URI="" REDIS_PORT=""
targets_file=$BENCH_WORK/targets.tsv
meta_file=$BENCH_WORK/meta.tsv
: >"$targets_file"
: >"$meta_file"
# Every target gets the same request headers; Portkey adds the ones that route it to the stub.
common_headers="x-llm-team: bench"

add_target() { # name url pid helper-pids ready-ms headers description
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$targets_file"
}
meta() { printf '%s\t%s\n' "$1" "${2//$PWD\//}" >>"$meta_file"; }   # paths relative to the repository

# The long and adversarial prompt bodies: for the long-prompt table and for the fresh-start series.
if [[ $prompts != 0 || $cold_count != 0 ]]; then
  "$BENCH_TOOL" prompts -out "$BENCH_WORK/prompts" -src-zip "$JAVA_HOME/lib/src.zip"
fi

# sidecar_helpers ENV_FILE: starts what a sidecar mode needs (Redis, the OTLP sink) unless it runs already; prints
# the pids that work for the target (Redis), or -.
sidecar_helpers() {
  local helpers=-
  if grep -q '^SIDECAR_REDIS_URI=' "$1"; then
    [[ -n $REDIS_URI ]] || bench_start_redis
    helpers=$REDIS_PID
  fi
  # Not a helper: the collector's CPU is not the sidecar's; only what exporting costs the sidecar is measured.
  if grep -q 'OTLP_SINK_URL' "$1"; then
    [[ -n ${OTLP_SINK_URL:-} ]] || bench_start_otlp_sink
  fi
  HELPERS=$helpers
}

# The first requests after a fresh start (issue 19, item 4), before any measured target starts. Each series gets a
# JVM of its own that has served nothing, stopped right after: so the 400 KiB series does not run on a JVM the 100 KiB
# one warmed, and the measured targets below (their first-1000 column, their warm-up) stay as they were. Measuring
# the long prompts first on the measured targets instead would have given one cold series per JVM only. A restart
# costs about a second (the AOT cache); the machine is quiet meanwhile, as no other target runs yet.
cold_file=$BENCH_WORK/cold.jsonl
: >"$cold_file"
cold_args=()
if [[ $cold_count != 0 ]] && grep -q 'sidecar-' <<<"$targets"; then
  cold_started=$SECONDS
  cold_series=("source-100k json $BENCH_WORK/prompts/source-100k.json"
               "source-400k json $BENCH_WORK/prompts/source-400k.json"
               "short-json json scripts/bench/request.json"
               "short-sse sse scripts/bench/request-stream.json")
  cold() { # target url ready-ms series kind body
    "$BENCH_TOOL" cold -target "$1" -url "$2" -ready-ms "$3" -series "$4" -kind "$5" -body "$6" \
      -H "$common_headers" -n "$cold_count" -to "$(( cold_count < 300 ? cold_count : 300 ))" -out "$cold_file" \
      || bench_say "$1 did not answer every $4 request after a fresh start; see $BENCH_WORK/cold-$1-$4.log"
  }
  # direct's series are the baseline the sidecars' are compared with, request for request.
  for s in "${cold_series[@]}"; do
    read -r series kind body <<<"$s"
    cold direct "$UPSTREAM_URL/chat/completions" -1 "$series" "$kind" "$body"
  done
  for target in $targets; do
    [[ $target == sidecar-* ]] || continue
    env_file=scripts/bench/sidecar-${target#sidecar-}.env
    [[ -f $env_file ]] || bench_die "no $env_file for target $target"
    sidecar_helpers "$env_file"
    for s in "${cold_series[@]}"; do
      read -r series kind body <<<"$s"
      bench_start_sidecar "cold-$target-$series" "$env_file"
      cold "$target" "http://127.0.0.1:$SIDECAR_PORT/v1/chat/completions" "$READY_MS" "$series" "$kind" "$body"
      # KILL: nothing is in flight, and the sidecar's drain on TERM (server.drain-delay) would wait 5 s each time.
      bench_stop "$SIDECAR_PID" KILL
    done
  done
  cold_args=(-cold "$cold_file")
  bench_say "the fresh-start series took $(( SECONDS - cold_started )) s"
fi

for target in $targets; do
  case $target in
    direct)
      add_target direct "$UPSTREAM_URL/chat/completions" "$UPSTREAM_PID" - - "$common_headers" \
        "the stub upstream itself (Go net/http), no proxy"
      meta command.direct "benchtool upstream -addr 127.0.0.1:0 -cassettes sidecar/src/test/resources/cassettes"
      ;;
    nginx)
      bench_start_nginx
      add_target nginx "http://127.0.0.1:$NGINX_PORT/v1/chat/completions" "$NGINX_PID" - "$READY_MS" \
        "$common_headers" "nginx $(nginx -v 2>&1 | sed 's|.*/||'), thin reverse proxy: keep-alive upstream pool, proxy_buffering off"
      meta command.nginx "$NGINX_COMMAND"
      ;;
    sidecar-*)
      mode=${target#sidecar-}
      env_file=scripts/bench/sidecar-$mode.env
      [[ -f $env_file ]] || bench_die "no $env_file for target $target"
      sidecar_helpers "$env_file"
      helpers=$HELPERS
      bench_start_sidecar "$target" "$env_file"
      jvm_options=$(set -a; . scripts/bench/sidecar-common.env; . "$env_file"; echo "${JDK_JAVA_OPTIONS:-}")
      add_target "$target" "http://127.0.0.1:$SIDECAR_PORT/v1/chat/completions" "$SIDECAR_PID" "$helpers" \
        "$READY_MS" "$common_headers" \
        "the sidecar jar with \`$env_file\`; JVM ${jvm_options:-defaults (no JDK_JAVA_OPTIONS)}"
      meta "command.$target" "$SIDECAR_COMMAND"
      ;;
    envoy)
      bench_start_envoy
      add_target envoy "http://127.0.0.1:$ENVOY_PORT/v1/chat/completions" "$ENVOY_PID" - "$READY_MS" \
        "$common_headers" "Envoy $(.tools/bench-venv/envoy/bin/envoy --version | sed -n 's|.*version: [^/]*/\([^/]*\)/.*|\1|p'), thin reverse proxy (Istio's sidecar proxy), ${BENCH_ENVOY_CONCURRENCY:-2} worker threads"
      meta command.envoy "$ENVOY_COMMAND"
      ;;
    envoy-ai-gateway)
      bench_start_envoy_ai_gateway
      description="Envoy AI Gateway $(sed -n 's/^AIGW_VERSION=//p' scripts/setup.sh) external processor (counted:"
      description+=" a child of Envoy) beside the same Envoy, ${BENCH_ENVOY_CONCURRENCY:-2} worker threads;"
      description+=" OpenAI schema in and out, token costs on"
      add_target envoy-ai-gateway "http://127.0.0.1:$ENVOY_AIGW_PORT/v1/chat/completions" "$ENVOY_AIGW_PID" - \
        "$READY_MS" "$common_headers" "$description"
      meta command.envoy-ai-gateway "$ENVOY_AIGW_COMMAND"
      ;;
    litellm)
      bench_start_litellm
      add_target litellm "http://127.0.0.1:$LITELLM_PORT/v1/chat/completions" "$LITELLM_PID" - "$READY_MS" \
        "$common_headers|authorization: Bearer $LITELLM_KEY" \
        "LiteLLM proxy $(.tools/bench-venv/litellm/bin/python -c 'import importlib.metadata as m; print(m.version("litellm"))'), one worker, model routed to the stub"
      meta command.litellm "$LITELLM_COMMAND"
      ;;
    portkey)
      bench_start_portkey
      add_target portkey "http://127.0.0.1:$PORTKEY_PORT/v1/chat/completions" "$PORTKEY_PID" - "$READY_MS" \
        "$common_headers|x-portkey-provider: openai|x-portkey-custom-host: $UPSTREAM_URL|authorization: Bearer bench-gateway-key|x-portkey-forward-headers: x-bench-sse-gap-ms" \
        "Portkey AI gateway $(node -p 'require("./.tools/portkey/node_modules/@portkey-ai/gateway/package.json").version'), headless, provider openai with custom host"
      meta command.portkey "$PORTKEY_COMMAND"
      ;;
    *) bench_die "unknown target '$target' (direct, nginx, envoy, envoy-ai-gateway, sidecar-<mode> with scripts/bench/sidecar-<mode>.env, litellm, portkey)" ;;
  esac
  bench_say "started $target"
done

invocation="make bench"
for v in BENCH_DURATION BENCH_WARMUP BENCH_JVM_WARMUP BENCH_ROUNDS BENCH_SHAPES BENCH_KINDS BENCH_TARGETS \
         BENCH_WRK_THREADS BENCH_NGINX_WORKERS BENCH_PROBE_COUNT BENCH_PROMPTS BENCH_PROMPT_COUNT BENCH_FIRST_COUNT \
         BENCH_ENVOY_CONCURRENCY BENCH_COLD_COUNT BENCH_PINNED_SHAPES BENCH_PIN_CPU BENCH_LOAD_CPU; do
  if [[ -n ${!v+set} ]]; then invocation="$v=\"${!v}\" $invocation"; fi
done
meta invocation "$invocation"
meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta kernel "Linux $(uname -r)"
meta commit "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- sidecar pom.xml 2>/dev/null || echo '+changes')"
meta java "$("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
meta nginx "$(nginx -v 2>&1 | sed 's|.*: ||')"
meta redis "Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
meta wrk "$(wrk -v 2>&1 | sed -n '1s/^wrk \([^ ]*\).*/\1/p')"
meta go "$(go version | cut -d' ' -f3)"
meta node "$(node --version)"
meta portkey "$(node -p 'require("./.tools/portkey/node_modules/@portkey-ai/gateway/package.json").version' 2>/dev/null || echo -)"

prompt_args=()
if [[ $prompts != 0 ]]; then
  prompt_args=(-prompts "$BENCH_WORK/prompts" -prompt-count "${BENCH_PROMPT_COUNT:-30}"
               -prompt-warmup "${BENCH_PROMPT_WARMUP:-1s}")
  meta command.opa-bench "cd policies && opa bench --format json --ignore kustomization.yaml --ignore '*_test.rego' -d . -i <prompt>.input.json 'data.sidecar.decision'"
fi
meta envoy "$(.tools/bench-venv/envoy/bin/envoy --version 2>/dev/null | sed -n 's|.*version: [^/]*/\([^/]*\)/.*|Envoy \1|p' || echo -)"
meta litellm "$(.tools/bench-venv/litellm/bin/python -c 'import importlib.metadata as m; print("LiteLLM", m.version("litellm"))' 2>/dev/null || echo -)"

"$BENCH_TOOL" measure -targets "$targets_file" -meta "$meta_file" -upstream-pid "$UPSTREAM_PID" \
  -first-count "${BENCH_FIRST_COUNT:-1000}" "${prompt_args[@]}" "${cold_args[@]}" \
  -pin-shapes "$pinned_shapes" -pin-cpu "${BENCH_PIN_CPU:-1}" -load-cpu "${BENCH_LOAD_CPU:-0}" \
  -body scripts/bench/request.json -stream-body scripts/bench/request-stream.json \
  -duration "$duration" -warmup "$warmup" -jvm-warmup "$jvm_warmup" -rounds "$rounds" -shapes "$shapes" -kinds "$kinds" \
  -wrk-threads "${BENCH_WRK_THREADS:-1}" -probe-count "$probe_count" -out "$BENCH_WORK/raw.json"

# Warnings a target logged (a budget store timing out and failing open, say) change what its numbers mean.
warnings_file=$BENCH_WORK/warnings.tsv
: >"$warnings_file"
for target in $targets; do
  log=$BENCH_WORK/$target.log
  [[ -f $log ]] || continue
  count=$(grep -c -E ' (WARNING|SEVERE) ' "$log" || true)
  if (( count > 0 )); then
    first=$(grep -m1 -E ' (WARNING|SEVERE) ' "$log" | cut -c1-240)
    printf '%s\t%s\n' "$target" "$count, the first: $first" >>"$warnings_file"
    bench_say "$target logged $count warning(s); see $log"
  fi
done

# OPA's own Go engine on the same policies and the same inputs, once the targets are idle.
opa_args=()
if [[ $prompts != 0 ]]; then
  mkdir -p "$BENCH_WORK/opa-bench"
  for input in "$BENCH_WORK"/prompts/*.input.json; do
    name=$(basename "$input" .input.json)
    (cd policies && timeout 120 ../scripts/opa.sh bench --format json --ignore kustomization.yaml --ignore '*_test.rego' \
       -d . -i "$input" 'data.sidecar.decision' >"$BENCH_WORK/opa-bench/$name.json" 2>&1) \
      || bench_say "opa bench on $name failed or took over 120 s; see $BENCH_WORK/opa-bench/$name.json"
  done
  opa_args=(-opa-bench "$BENCH_WORK/opa-bench")
fi

mkdir -p "$out"
[[ -f $out/BENCHMARKS.md ]] || printf '# Benchmarks\n' >"$out/BENCHMARKS.md"
"$BENCH_TOOL" report -in "$BENCH_WORK/raw.json" -json "$out/benchmarks.json" -md "$out/BENCHMARKS.md" \
  -warnings "$warnings_file" -note "${BENCH_NOTE:-}" "${opa_args[@]}" >/dev/null
bench_say "wrote $out/BENCHMARKS.md (section between the bench markers) and $out/benchmarks.json" \
  "in $(( SECONDS / 60 ))m$(( SECONDS % 60 ))s"
