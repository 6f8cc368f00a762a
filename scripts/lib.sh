# Shared by the scripts: paths and the build step.
# shellcheck shell=bash
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc)}

# build PRESET: configure (first time) and build everything of that preset.
build() {
  local preset=$1
  cd "$REPO_ROOT"
  if [[ ! -f "build/$preset/build.ninja" ]]; then
    cmake --preset "$preset" >/dev/null
  fi
  cmake --build --preset "$preset" -j "$JOBS"
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -x "$dir/initdb" ]] || { echo "no PostgreSQL server binaries found" >&2; return 1; }
  echo "$dir"
}

# The npm packages of package.json (buf, the chart's checkers, the MCP SDK),
# installed as package-lock.json pins them whenever the lock file is newer
# than the last install.
node_modules() {
  cd "$REPO_ROOT"
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
}
