#!/usr/bin/env bash
# Builds the test bed binaries (etcd, kube-apiserver, kube-controller-manager, kubectl, helm)
# from source through the Go module proxy into a cache outside the checkout, keyed by the
# pinned versions and module files, and reuses them when the key has not changed.
#   build.sh                 build what is missing, print the bin directory
#   build.sh --print-bin-dir print the bin directory without building
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed; install Go >= 1.26 (https://go.dev/doc/install) to build the test bed" >&2
  exit 3
fi

key=$(cat "$here/versions.env" "$here"/kube/go.mod "$here"/kube/go.sum "$here"/kube/tools.go \
        "$here"/etcd/go.mod "$here"/etcd/go.sum "$here"/etcd/main.go "$here/build.sh" \
      | { cat; go env GOVERSION; } | sha256sum | cut -c1-16)
cache_root=${TIERROUTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tierroute}
bin_dir="$cache_root/testbed/$key/bin"

if [[ ${1:-} == --print-bin-dir ]]; then echo "$bin_dir"; exit 0; fi

mkdir -p "$bin_dir"
export CGO_ENABLED=0
minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean"

build() {  # name, module dir, package, ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  [[ -x "$bin_dir/$name" ]] && return 0
  echo "build.sh: building $name ($pkg)" >&2
  local start=$SECONDS
  (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$bin_dir/$name.tmp" "$pkg")
  mv "$bin_dir/$name.tmp" "$bin_dir/$name"  # atomic: a half-built binary is never used
  echo "build.sh: $name built in $((SECONDS - start)) s" >&2
}

build etcd "$here/etcd" . "-s -w"
build kube-apiserver "$here/kube" k8s.io/kubernetes/cmd/kube-apiserver "$kube_ldflags"
build kube-controller-manager "$here/kube" k8s.io/kubernetes/cmd/kube-controller-manager "$kube_ldflags"
build kubectl "$here/kube" k8s.io/kubernetes/cmd/kubectl "$kube_ldflags"
if [[ ! -x "$bin_dir/helm" ]]; then
  echo "build.sh: building helm $HELM_VERSION" >&2
  start=$SECONDS
  gobin=$(mktemp -d)
  GOBIN="$gobin" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$gobin/helm" "$bin_dir/helm" && rmdir "$gobin"
  echo "build.sh: helm built in $((SECONDS - start)) s" >&2
fi
echo "$bin_dir"
