#!/usr/bin/env bash
# Configuring with -DBUILD_TESTING=OFF needs no Criterion: with its header folder hidden
# from CMake's find_* commands (CMAKE_IGNORE_PATH), that configuration succeeds, and the
# same one with the tests on stops with the message naming the Debian package.
# Usage: builds_no_criterion.sh CMAKE SOURCE_DIR C_COMPILER CRITERION_INCLUDE_DIR WORK_DIR
set -uo pipefail
cmake=$1 source=$2 cc=$3 hidden=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if "$cmake" -S "$source" -B "$work/off" -DCMAKE_C_COMPILER="$cc" -DBUILD_TESTING=OFF \
     -DCMAKE_IGNORE_PATH="$hidden" >"$work/off.log" 2>&1; then
  echo "ok: -DBUILD_TESTING=OFF configures with Criterion hidden"
else
  cat "$work/off.log"
  fail "-DBUILD_TESTING=OFF needs Criterion (log above)"
fi

if "$cmake" -S "$source" -B "$work/on" -DCMAKE_C_COMPILER="$cc" -DBUILD_TESTING=ON \
     -DCMAKE_IGNORE_PATH="$hidden" >"$work/on.log" 2>&1; then
  fail "with the tests on and Criterion hidden, configuration succeeded (is it really hidden?)"
elif grep -q "Criterion not found: install it with" "$work/on.log"; then
  echo "ok: with the tests on, a missing Criterion is named"
else
  cat "$work/on.log"
  fail "with the tests on, configuration failed without naming Criterion (log above)"
fi

rm -rf "$work"
[ "$failures" -eq 0 ] && echo "builds_no_criterion: all passed" || exit 1
