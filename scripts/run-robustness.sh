#!/usr/bin/env bash
# Robustness checks run by CI after the tests: an AddressSanitizer + UBSan build running
# the unit, conformance, plugin and robustness tests; valgrind memcheck of small runs;
# ThreadSanitizer (with LLVM's OpenMP and its Archer tool) on the OpenMP implementations;
# the fuzz regression corpus and a bounded fuzzing run of every target.
# Usage: scripts/run-robustness.sh [FUZZ_SECONDS_PER_TARGET]   (default 45)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzz_seconds=${1:-45}
jobs=$(nproc)

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh
attn_install_missing clang libclang-rt-14-dev libomp-dev valgrind

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
build() { # build DIR CMAKE-ARGS...: configure and build quietly, show the log on failure
  local dir=$1; shift
  mkdir -p "$dir"
  if ! { cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j "$jobs"; } >"$dir/build.log" 2>&1; then
    cat "$dir/build.log" >&2; echo "build of $dir failed" >&2; exit 1
  fi
}
started=$SECONDS

scripts/setup.sh   # build/ for the valgrind step

step "AddressSanitizer + UndefinedBehaviorSanitizer: unit, conformance, plugin, robustness tests"
build build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATTN_SANITIZE=ON -DATTN_WERROR=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L "unit|conformance|plugin|robustness" -j "$jobs" --output-on-failure

step "valgrind memcheck: check, run, golden and bench on small inputs"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
bin=build/attnbench
"${vg[@]}" $bin check --suite tests/data/small.suite --quiet
"${vg[@]}" $bin check --plugin build/libtwopass.so --impl twopass --suite tests/data/small.suite --quiet
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"${vg[@]}" $bin golden --suite tests/data/small.suite --out "$tmp/golden" >/dev/null
case1=suites/golden/conformance/case-0040
"${vg[@]}" $bin run --impl blocked --q $case1/q.npy --k $case1/k.npy --v $case1/v.npy --out "$tmp/o.npy" --causal
"${vg[@]}" $bin bench --seq 16,33 --heads 2 --threads 1 --reps 3 --min-time 0.001 --no-ceiling --out "$tmp/b.csv" >/dev/null
echo "valgrind: no errors, no definite leaks"

step "ThreadSanitizer with Archer: OpenMP implementations at 2 threads"
build build-tsan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-fsanitize=thread -DBUILD_TESTING=OFF
archer=$(ls /usr/lib/llvm-*/lib/libarcher.so | head -n 1)
# The OpenMP runtime and OpenBLAS are not instrumented: their internal synchronisation
# would look like races, so reports from them are ignored (attnbench's code is not).
export OMP_TOOL_LIBRARIES=$archer TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1"
clang -fopenmp -fsanitize=thread -g tests/sanitizers/race_canary.c -o build-tsan/race_canary
if build-tsan/race_canary >/dev/null 2>&1; then
  echo "ThreadSanitizer missed the planted race in tests/sanitizers/race_canary.c" >&2; exit 1
fi
echo "planted race detected: the settings hide only the uninstrumented runtimes"
build-tsan/attnbench check --impl omp,local --threads 2 --suite tests/data/small.suite --quiet
build-tsan/attnbench check --impl omp --threads 2 --suite conformance --quiet
unset OMP_TOOL_LIBRARIES TSAN_OPTIONS

step "fuzzing: regression corpus, then ${fuzz_seconds} s per target"
scripts/fuzz.sh --regressions
scripts/fuzz.sh "$fuzz_seconds" build-fuzz

printf '\nrobustness: all checks passed in %d s\n' $((SECONDS - started))
