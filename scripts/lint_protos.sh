#!/usr/bin/env bash
# Lints proto/ with buf (npm package @bufbuild/buf, pinned in package.json).
# google/api comes from Debian's golang-github-gogo-googleapis-dev through a
# throwaway buf workspace, so nothing of it is copied into the repo.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

node_modules
BUF="$REPO_ROOT/node_modules/.bin/buf"

workspace=$(mktemp -d)
trap 'rm -rf "$workspace"' EXIT
googleapis=/usr/share/gocode/src/github.com/gogo/googleapis
mkdir -p "$workspace/deps/google"
cp -r "$googleapis/google/api" "$googleapis/google/rpc" "$workspace/deps/google/"
echo 'version: v1' > "$workspace/deps/buf.yaml"
ln -s "$REPO_ROOT/proto" "$workspace/api"
cat > "$workspace/buf.work.yaml" <<'YAML'
version: v1
directories:
  - api
  - deps
YAML
(cd "$workspace" && "$BUF" lint api)
echo "proto lint: clean"
