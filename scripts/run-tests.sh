#!/usr/bin/env bash
# The test command: set up (install, configure, build), then run every test with ctest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
ctest --test-dir "${ATTNBENCH_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
