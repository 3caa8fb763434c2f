#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang and runs them.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [BUILD_DIR]   fuzz each target (default 60 s, build-fuzz)
#   scripts/fuzz.sh --regressions [BUILD_DIR]          replay tests/fuzz/regressions/<name>/* and
#                                                      the seed corpus once, without fuzzing
#
# Targets: suite (attn_suite_parse_text / attn_suite_load), case (attn_case_parse),
# npy (attn_npy_read / attn_npy_write); properties in tests/fuzz/fuzz_*.c.
#
# Fuzzing runs on a copy of the seed corpus in BUILD_DIR/corpus/<name> (the repository is
# never written), with crashes saved as BUILD_DIR/crashes/<name>-*. The exit status is
# non-zero when a target crashed, leaked, timed out or broke a property. FUZZ_CC picks
# the compiler (default clang-14, else clang). Exit status 77: no clang with libFuzzer
# here (ctest reports the test as skipped with SKIP_RETURN_CODE 77); 2: bad usage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz_dir="$root/tests/fuzz"
targets=(suite case npy)

usage() {
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

mode=fuzz
seconds=60
build_dir=""
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  --regressions)
    mode=regressions
    build_dir=${2:-}
    [ $# -le 2 ] || { usage >&2; exit 2; }
    ;;
  *)
    if [ $# -ge 1 ]; then
      if ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -eq 0 ]; then
        echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, not '$1'" >&2
        usage >&2
        exit 2
      fi
      seconds=$1
    fi
    build_dir=${2:-}
    [ $# -le 2 ] || { usage >&2; exit 2; }
    ;;
esac
build_dir=${build_dir:-$root/build-fuzz}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd) # a relative BUILD_DIR is relative to the caller's folder
cd "$root"

# ---- compiler ----
cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
  for candidate in clang-14 clang; do
    if command -v "$candidate" >/dev/null 2>&1; then
      cc=$candidate
      break
    fi
  done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz.sh: no clang found (install clang-14 and libclang-rt-14-dev, or set FUZZ_CC)" >&2
  exit 77
fi
probe="$build_dir/.probe"
if ! printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' |
    "$cc" -x c -fsanitize=fuzzer,address,undefined -o "$probe" - >/dev/null 2>&1; then
  echo "fuzz.sh: $cc cannot build libFuzzer targets (install libclang-rt-14-dev)" >&2
  exit 77
fi
rm -f "$probe"

# ---- build (plain clang command lines; rebuilt when a source is newer) ----
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
cflags=(-std=c11 -g -O1 -Wall -Wextra -fno-omit-frame-pointer -Iimpls/include -Iharness/core
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)

sources_of() {
  case "$1" in
    suite) echo "harness/core/error.c harness/core/problem.c harness/core/element_type.c harness/core/generate.c harness/core/suite.c harness/core/paths.c" ;;
    case) echo "harness/core/error.c harness/core/problem.c harness/core/element_type.c harness/core/generate.c" ;;
    npy) echo "harness/core/error.c harness/core/npy.c harness/core/output_file.c" ;;
  esac
}

build() {
  local name=$1 binary="$build_dir/fuzz_$1" src
  # shellcheck disable=SC2207
  local sources=("tests/fuzz/fuzz_$name.c" $(sources_of "$name"))
  local deps=("${sources[@]}" harness/core/*.h impls/include/attnbench.h tests/fuzz/*.h scripts/fuzz.sh)
  if [ -x "$binary" ]; then
    local stale=0
    for src in "${deps[@]}"; do
      [ "$src" -nt "$binary" ] && stale=1
    done
    [ $stale -eq 0 ] && return 0
  fi
  echo "fuzz.sh: building $binary"
  "$cc" "${cflags[@]}" -o "$binary" "${sources[@]}" -lm
}

for name in "${targets[@]}"; do
  build "$name"
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Files of a folder that are inputs (README.txt is documentation), one per line.
inputs_in() {
  [ -d "$1" ] || return 0
  find "$1" -maxdepth 1 -type f ! -name README.txt ! -name '.*' | LC_ALL=C sort
}

failed=()

# The diagnosis in a libFuzzer log: from the first error line to the sanitizer's SUMMARY.
report() {
  local excerpt
  excerpt=$(sed -n -E '/^==[0-9]+==(ERROR|WARNING)|runtime error|fuzz property violated|ALARM|out-of-memory|deadly signal/,/^SUMMARY/p' "$1" |
    grep -v -E '^ *0x[0-9a-f]+: |^Shadow|^  [A-Z][a-z].*: +[0-9a-f]' | head -n 40 || true)
  [ -n "$excerpt" ] || excerpt=$(tail -n 20 "$1")
  printf '%s\n' "$excerpt" | sed 's/^/  /' >&2
}

# ---- regressions: every saved crash and every seed, once ----
if [ "$mode" = regressions ]; then
  for name in "${targets[@]}"; do
    mapfile -t files < <(inputs_in "$fuzz_dir/regressions/$name"; inputs_in "$fuzz_dir/corpus/$name")
    if [ ${#files[@]} -eq 0 ]; then
      echo "fuzz.sh: $name: no inputs, nothing to replay"
      continue
    fi
    log="$build_dir/logs/regressions-$name.log"
    mkdir -p "$build_dir/logs"
    if "$build_dir/fuzz_$name" -runs=0 -timeout=10 -rss_limit_mb=2048 "${files[@]}" >"$log" 2>&1; then
      echo "fuzz.sh: $name: ${#files[@]} inputs replayed, all pass"
    else
      status=$?
      echo "fuzz.sh: $name: FAILED (exit status $status) replaying ${#files[@]} inputs; log: $log" >&2
      # the last input started is the one that failed
      last=$(grep -E '^Running: ' "$log" | tail -n 1 | sed 's/^Running: //' || true)
      [ -n "$last" ] && echo "fuzz.sh: $name: failing input: $last" >&2
      report "$log"
      failed+=("$name")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: regressions FAILED for: ${failed[*]}" >&2
    exit 1
  fi
  echo "fuzz.sh: regressions pass"
  exit 0
fi

# ---- fuzzing ----
printf '%-6s %12s %8s %8s %10s %8s  %s\n' target execs cov ft exec/s seconds result
summary=()
for name in "${targets[@]}"; do
  corpus="$build_dir/corpus/$name"
  crashes="$build_dir/crashes"
  log="$build_dir/logs/fuzz-$name.log"
  mkdir -p "$corpus" "$crashes" "$build_dir/logs"
  cp -n "$fuzz_dir/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  marker="$build_dir/logs/.start-$name"
  : >"$marker"
  sleep 1 # artifacts must be strictly newer than the marker
  dict=()
  [ -f "$fuzz_dir/$name.dict" ] && dict=("-dict=$fuzz_dir/$name.dict")
  start=$(date +%s)
  set +e
  "$build_dir/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/$name-" "${dict[@]}" \
    "$corpus" >"$log" 2>&1
  status=$?
  set -e
  duration=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  mapfile -t artifacts < <(find "$crashes" -maxdepth 1 -type f -name "$name-*" -newer "$marker" | LC_ALL=C sort)
  rm -f "$marker"
  result=ok
  if [ $status -ne 0 ] || [ ${#artifacts[@]} -gt 0 ]; then
    result="FAILED (exit status $status)"
    failed+=("$name")
  fi
  printf '%-6s %12s %8s %8s %10s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "${speed:-?}" "$duration" "$result"
  if [ "$result" != ok ]; then
    summary+=("$name: log $log")
    report "$log"
    for artifact in "${artifacts[@]}"; do
      summary+=("$name: reproducer $artifact")
      summary+=("  replay:  $build_dir/fuzz_$name $artifact")
      summary+=("  keep it fixed: cp $artifact tests/fuzz/regressions/$name/<short-description>")
    done
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo >&2
  printf '%s\n' "${summary[@]}" >&2
  echo "fuzz.sh: FAILED: ${failed[*]} (a file in tests/fuzz/regressions/<name>/ is replayed by" \
    "'scripts/fuzz.sh --regressions', the ctest fuzz.regressions)" >&2
  exit 1
fi
echo "fuzz.sh: no crash in ${#targets[@]} targets x ${seconds} s (corpus kept in $build_dir/corpus)"
