#!/usr/bin/env bash
# Installs what is missing (Debian packages), configures and builds attnbench in build/.
# Sourced or run by scripts/run-tests.sh and scripts/run-default.sh; safe to rerun.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh
attn_install_missing build-essential cmake pkg-config libopenblas-dev libdnnl-dev libcriterion-dev python3-numpy python3-matplotlib clang libclang-rt-14-dev

build_dir=${ATTNBENCH_BUILD_DIR:-build}
mkdir -p "$build_dir"
log="$build_dir/setup.log"
if ! { cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DATTN_WERROR=ON &&
       cmake --build "$build_dir" -j "$(nproc)"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: configure or build failed (log above, also in $log)" >&2
  exit 1
fi
echo "setup: built $build_dir/attnbench (log: $log)"
