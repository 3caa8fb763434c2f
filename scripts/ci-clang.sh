#!/usr/bin/env bash
# CI: attnbench built with clang at -Werror (scripts/setup.sh builds with gcc), and that
# build's unit and conformance tests. Usage: scripts/ci-clang.sh [BUILD_DIR] (build-clang)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:-build-clang}
jobs=$(nproc)

# clang's OpenMP runtime is LLVM's (libomp-dev); the rest is what setup.sh installs.
# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh
attn_install_missing clang libomp-dev

mkdir -p "$dir"
if ! { cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DATTN_WERROR=ON &&
       cmake --build "$dir" -j "$jobs"; } >"$dir/build.log" 2>&1; then
  cat "$dir/build.log" >&2
  echo "ci-clang: the clang -Werror build failed (log above, also in $dir/build.log)" >&2
  exit 1
fi
echo "ci-clang: built $dir with $(clang --version | head -n 1), -Werror"
ctest --test-dir "$dir" -L "unit|conformance" --output-on-failure -j "$jobs"
