#!/usr/bin/env bash
# Builds kube-apiserver and kubectl of the Kubernetes release this module requires into $1 (default
# .tools/e2e/bin), unless binaries of that release are already there. The first build takes about 10 minutes
# and 4.5 GB of Go caches on 2 cores; later builds reuse the caches.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../.tools/e2e/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' go.mod)
[[ $version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || { echo "build.sh: cannot read the k8s.io/kubernetes version from go.mod" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
stamp="$out/.kube-version"
if [[ -x $out/kube-apiserver && -x $out/kubectl && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
  exit 0
fi
echo "Building kube-apiserver and kubectl $version into $out (the first build takes about 10 minutes)" >&2
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
rm -f "$stamp"
CGO_ENABLED=0 nice -n 15 go build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
echo "$version" >"$stamp"
