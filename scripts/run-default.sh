#!/usr/bin/env bash
# The main job on its embedded default: set up, then check every built-in implementation
# on the conformance suite against its committed golden set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
exec "${ATTNBENCH_BUILD_DIR:-build}/attnbench" check "$@"
