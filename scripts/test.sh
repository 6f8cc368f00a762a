#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test (unit, Postgres-backed, integration) plus the proto lint and the format
# check. Exit status 0 only if all of it passes.
#
#   scripts/test.sh                 # preset "ci" (optimised, what CI runs)
#   scripts/test.sh --preset debug  # AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh -L unit         # extra arguments go to ctest
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

preset=ci
ctest_args=()
while (($# > 0)); do
  case $1 in
    --preset) preset=$2; shift 2 ;;
    *) ctest_args+=("$1"); shift ;;
  esac
done

"$REPO_ROOT/scripts/setup.sh"
start=$(date +%s)
build "$preset"
echo "build ($preset) took $(($(date +%s) - start)) s"

"$REPO_ROOT/scripts/check_format.sh"
"$REPO_ROOT/scripts/lint_protos.sh"

cd "$REPO_ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" -j "$JOBS" ${ctest_args[@]+"${ctest_args[@]}"}
echo "build and tests took $(($(date +%s) - start)) s"
