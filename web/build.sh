#!/usr/bin/env bash
# Builds the web app into $1 (CMake's web_app target runs it): its npm
# packages as web/package-lock.json pins them, then esbuild (web/build.mjs).
set -euo pipefail
web=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$web"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
node "$web/build.mjs" "$1"
