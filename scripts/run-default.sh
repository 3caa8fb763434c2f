#!/usr/bin/env bash
# The main job on its embedded default: set up, then run the default benchmark sweep
# (every built-in implementation, each output verified against the reference) and write
# results/bench-RUN_ID.csv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
exec "${ATTNBENCH_BUILD_DIR:-build}/attnbench" bench "$@"
