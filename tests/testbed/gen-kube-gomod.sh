#!/usr/bin/env bash
# Writes kube/go.mod for KUBERNETES_VERSION: requires k8s.io/kubernetes and replaces each
# staging module (the upstream go.mod's "=> ./staging/src/..." lines) with its published
# v0.X.Y version, then tidies. Run it after changing KUBERNETES_VERSION; commit the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
staging_version="v0.${KUBERNETES_VERSION#v1.}"
proxy=$(go env GOPROXY | cut -d, -f1)
upstream=$(curl -fsS "$proxy/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod")
{
  echo "module tierroute.io/testbed/kube"
  echo
  echo "$upstream" | grep -E '^go ' 
  echo
  echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
  echo
  echo "replace ("
  echo "$upstream" | grep -E '=> \./staging/src/' | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > "$here/kube/go.mod"
cd "$here/kube" && go mod tidy
