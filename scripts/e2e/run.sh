#!/usr/bin/env bash
# make e2e: the injector and the kustomize bundle against a real Kubernetes API server on loopback.
#   1. installs etcd (Debian's etcd-server package, unpacked into .tools/e2e/etcd) and builds kube-apiserver and
#      kubectl from Go modules (scripts/e2e/kube) into .tools/e2e/bin, unless they are there already;
#   2. starts etcd and kube-apiserver on free 127.0.0.1 ports with a throwaway certificate, service-account keys and
#      a static token for the test's admin user (group system:masters), RBAC, and the MutatingAdmissionWebhook and
#      PodSecurity admission plugins. No controller-manager, scheduler, kubelet or kube-proxy;
#   3. runs the *E2E tests (Maven profile e2e) against it;
#   4. stops both and deletes their data, also when a step fails.
# E2E_KEEP=1 keeps the state directory (certificates, logs, kubeconfig) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
reports=sidecar/target/failsafe-reports
rm -f "$reports"/TEST-*E2E.xml     # the summary at the end reads this run's reports only
root=$PWD
tools="$root/.tools/e2e"
say() { printf '[e2e] %s\n' "$*" >&2; }
started=$(date +%s)

# Debian's etcd-server, unpacked rather than installed: no service gets started, and no root is needed.
install_etcd() {
  local etcd="$tools/etcd/usr/bin/etcd"
  if [[ ! -x $etcd ]]; then
    command -v apt-get >/dev/null || { say "etcd is missing and this is not a Debian-like system: put an etcd 3.4+ binary at $etcd"; exit 1; }
    say "Fetching Debian's etcd-server into .tools/e2e/etcd"
    local download
    download=$(mktemp -d)
    (cd "$download" && { apt-get download etcd-server >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download etcd-server >/dev/null; }; })
    mkdir -p "$tools/etcd"
    dpkg-deb -x "$download"/etcd-server_*.deb "$tools/etcd"
    rm -rf "$download"
  fi
  mkdir -p "$tools/bin"
  ln -sfn ../etcd/usr/bin/etcd "$tools/bin/etcd"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # wait_for <what> <seconds> <log> <command...>
  local what=$1 seconds=$2 log=$3
  shift 3
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "$what did not become ready within ${seconds}s; the end of its log ($log):"
  tail -n 40 "$log" >&2
  return 1
}

install_etcd
say "Building kube-apiserver and kubectl (skipped when .tools/e2e/bin has the pinned version)"
scripts/e2e/kube/build.sh "$tools/bin"
kube_version=$(cat "$tools/bin/.kube-version")

state=$(mktemp -d "${TMPDIR:-/tmp}/llm-sidecar-e2e.XXXXXX")
pids=()
cleanup() {
  local status=$?
  if [[ $status -ne 0 && -f $state/kube-apiserver.log ]]; then
    say "Failed; the end of the kube-apiserver log:"
    tail -n 20 "$state/kube-apiserver.log" >&2
  fi
  # The API server first, then etcd: in reverse order of starting, each one waited for.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [[ ${E2E_KEEP:-0} == 1 ]]; then say "Kept $state"; else rm -rf "$state"; fi
  say "Finished in $(($(date +%s) - started)) s (exit $status)"
  e2e_summary
}
# The last line, as `make test` ends: "E2E: <passed> passed, <failed> failed" from this run's failsafe reports.
e2e_summary() {
  local f head tests=0 bad=0 skipped=0 t
  for f in "$reports"/TEST-*E2E.xml; do
    [[ -e $f ]] || { echo "E2E: no test ran"; return; }
    head=$(grep -o -m1 '<testsuite [^>]*>' "$f")
    t=$(sed -n 's/.* tests="\([0-9]*\)".*/\1/p' <<<"$head"); tests=$((tests + ${t:-0}))
    t=$(sed -n 's/.* failures="\([0-9]*\)".*/\1/p' <<<"$head"); bad=$((bad + ${t:-0}))
    t=$(sed -n 's/.* errors="\([0-9]*\)".*/\1/p' <<<"$head"); bad=$((bad + ${t:-0}))
    t=$(sed -n 's/.* skipped="\([0-9]*\)".*/\1/p' <<<"$head"); skipped=$((skipped + ${t:-0}))
  done
  echo "E2E: $((tests - bad - skipped)) passed, $bad failed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A serving certificate for 127.0.0.1, the service-account signing pair, and the admin token.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kube-apiserver" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$state/apiserver.key" -out "$state/apiserver.crt" 2>/dev/null
openssl genrsa -out "$state/sa.key" 2048 2>/dev/null
openssl rsa -in "$state/sa.key" -pubout -out "$state/sa.pub" 2>/dev/null
token=$(openssl rand -hex 24)
echo "$token,e2e-admin,e2e-admin,system:masters" >"$state/tokens.csv"

etcd_port=$(free_port)
etcd_peer_port=$(free_port)
api_port=$(free_port)
etcd_url="http://127.0.0.1:$etcd_port"
"$tools/bin/etcd" --name e2e --data-dir "$state/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "e2e=http://127.0.0.1:$etcd_peer_port" \
  >"$state/etcd.log" 2>&1 &
pids+=($!)
wait_for etcd 30 "$state/etcd.log" curl -fsS "$etcd_url/health"

api_url="https://127.0.0.1:$api_port"
# NO_PROXY: the API server calls the webhook on 127.0.0.1 and must never send that through a proxy.
NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
"$tools/bin/kube-apiserver" \
  --etcd-servers="$etcd_url" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --tls-cert-file="$state/apiserver.crt" --tls-private-key-file="$state/apiserver.key" \
  --token-auth-file="$state/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer="$api_url" \
  --service-account-key-file="$state/sa.pub" \
  --service-account-signing-key-file="$state/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --enable-admission-plugins=NamespaceLifecycle,ServiceAccount,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,PodSecurity \
  --endpoint-reconciler-type=none \
  --profiling=false \
  >"$state/kube-apiserver.log" 2>&1 &
pids+=($!)
ready() { curl -fsS --cacert "$state/apiserver.crt" -H "Authorization: Bearer $token" "$api_url/readyz"; }
wait_for kube-apiserver 120 "$state/kube-apiserver.log" ready
say "kube-apiserver $kube_version ready on $api_url after $(($(date +%s) - started)) s"

cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster:
      server: $api_url
      certificate-authority: $state/apiserver.crt
users:
  - name: e2e-admin
    user:
      token: $token
contexts:
  - name: e2e
    context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF

E2E_KUBECONFIG="$state/kubeconfig" E2E_KUBECTL="$tools/bin/kubectl" E2E_KUBE_VERSION="$kube_version" \
  mvn -B -q -Pe2e verify "$@"
