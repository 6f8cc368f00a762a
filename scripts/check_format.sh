#!/usr/bin/env bash
# Fails when a C++ or proto file of ours is not clang-format clean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.proto' 2>/dev/null || true)
if ((${#files[@]} == 0)); then
  mapfile -t files < <(find common services tests bench proto -name '*.cc' -o -name '*.h' -o -name '*.proto')
fi
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "format check: run scripts/format.sh" >&2
  exit 1
fi
echo "format check: ${#files[@]} files clean"
