#!/usr/bin/env bash
# Formats every C++ and proto file of ours in place.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
git ls-files '*.cc' '*.h' '*.proto' | xargs clang-format -i
