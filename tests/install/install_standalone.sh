#!/usr/bin/env bash
# The installed tool stands alone. Installs the build to a temporary prefix, then, with the
# source tree and the build tree out of reach, from an empty folder: `attnbench --version`,
# `list`, `check` against the installed golden set, a tiny `bench` whose report lands in
# the current directory, and the example plugin built against the installed header only
# (found through pkg-config), checked and benchmarked by the installed binary; then the
# same for a plugin with its own OpenMP parallel region and a context (omp_plugin.c, with
# the test_kernel.h beside it, both copied from OMP_PLUGIN_DIR before the trees are hidden),
# checked and benchmarked beside the built-in omp and blas at 1 and 2 threads; and the
# precision-contract emulations of tests/plugin/contract_plugin.c, judged on the installed
# precision suite.
#
#   install_standalone.sh CMAKE BUILD_DIR SOURCE_DIR PLUGIN_SOURCE OMP_PLUGIN_DIR
#
# Out of reach means: in a private mount namespace (root, or a user namespace) an empty
# tmpfs is mounted over both trees. Where no namespace can be made, the prefix is copied to
# a fresh folder and every command runs under `strace -f -e trace=%file`; no path under
# either tree may appear. If neither can be done the test fails: it never passes unproven.
set -euo pipefail

fail() {
  echo "install_standalone: FAILED: $*" >&2
  exit 1
}

# ---- the runs themselves: `--inner MODE PREFIX WORK SOURCE BUILD PLUGIN_SOURCE OMP_DIR` ----
# MODE is "hidden" (both trees are empty mounts now) or "traced" (strace watches).
if [ "${1:-}" = --inner ]; then
  mode=$2 prefix=$3 work=$4 source=$5 build=$6 plugin_source=$7 omp_dir=$8
  unset ATTNBENCH_SUITES_DIR ATTNBENCH_RESULTS_DIR
  attnbench=$prefix/bin/attnbench
  data=$prefix/share/attnbench
  calls=0
  if [ "$mode" = hidden ]; then
    [ ! -e "$source/CMakeLists.txt" ] || fail "the source tree $source is still reachable"
    [ ! -e "$build/CMakeCache.txt" ] || fail "the build tree $build is still reachable"
    echo "source tree $source and build tree $build are empty mounts in this namespace"
  fi
  # run NAME COMMAND...: runs it (under strace when traced), its output in $work/log/NAME.
  run() {
    local name=$1 status=0
    shift
    calls=$((calls + 1))
    echo "\$ $*"
    if [ "$mode" = traced ]; then
      strace -f -qq -e trace=%file -o "$work/trace/$calls-$name" "$@" >"$work/log/$name" 2>&1 ||
        status=$?
    else
      "$@" >"$work/log/$name" 2>&1 || status=$?
    fi
    sed 's/^/    /' "$work/log/$name"
    [ "$status" -eq 0 ] || fail "$name: exit status $status"
  }
  # fresh_dir NAME: an empty folder to run in; prints its path.
  fresh_dir() {
    mkdir "$work/cwd-$1"
    echo "$work/cwd-$1"
  }
  mkdir -p "$work/log" "$work/trace"

  # 1. The version line: release, plugin interface (as in the installed header), commit.
  cd "$(fresh_dir version)"
  run version "$attnbench" --version
  abi_major=$(sed -n 's/^#define ATTN_ABI_MAJOR \([0-9]*\).*/\1/p' "$prefix/include/attnbench.h")
  abi_minor=$(sed -n 's/^#define ATTN_ABI_MINOR \([0-9]*\).*/\1/p' "$prefix/include/attnbench.h")
  grep -Eq "^attnbench [0-9]+\.[0-9]+\.[0-9]+ \(interface $abi_major\.$abi_minor, commit [^ )]+\)$" \
    "$work/log/version" ||
    fail "--version printed '$(cat "$work/log/version")', not 'attnbench X.Y.Z (interface $abi_major.$abi_minor, commit C)'"
  run version-command "$attnbench" version
  cmp -s "$work/log/version" "$work/log/version-command" || fail "'version' and '--version' differ"

  # 2. list: the installed suites.
  run list "$attnbench" list
  grep -qF "suites (in $data/suites)" "$work/log/list" || fail "list does not show $data/suites"
  grep -Eq '^ +conformance ' "$work/log/list" || fail "list shows no conformance suite"

  # 3. check: judged against the installed golden set.
  cd "$(fresh_dir check)"
  run check "$attnbench" check --impl naive --quiet
  grep -qF "reference: $data/suites/golden/conformance;" "$work/log/check" ||
    fail "check did not use the golden set under $data"
  # 3b. at a reduced element type: the installed set of that type.
  cd "$(fresh_dir check-bf16)"
  run check-bf16 "$attnbench" check --impl naive --types bf16 --quiet
  grep -qF "reference: $data/suites/golden/conformance-bf16;" "$work/log/check-bf16" ||
    fail "check --types bf16 did not use the bf16 golden set under $data"

  # 4. bench: the report goes to the current directory.
  bench_args=(--seq 32 --heads 1 --threads 1 --reps 3 --min-time 0.001 --no-ceiling)
  here=$(fresh_dir bench)
  cd "$here"
  run bench "$attnbench" bench --impl naive "${bench_args[@]}"
  reports=("$here"/bench-*.csv)
  if [ ${#reports[@]} -ne 1 ] || [ ! -f "${reports[0]}" ]; then
    fail "bench wrote no report (or more than one) in $here"
  fi
  grep -q ',naive,.*,ok,' "${reports[0]}" || fail "no naive row ok in ${reports[0]}"
  echo "report in the current directory: ${reports[0]##*/}"

  # 5. The example plugin, built against the installed header found through pkg-config.
  here=$(fresh_dir plugin)
  cd "$here"
  cp "$plugin_source" mine.c
  pc=$(find "$prefix" -name attnbench.pc -print -quit)
  [ -n "$pc" ] || fail "no attnbench.pc under $prefix"
  export PKG_CONFIG_PATH=${pc%/*}
  run pkg-config pkg-config --cflags attnbench
  cflags=$(cat "$work/log/pkg-config")
  case "$cflags" in
    *"-I$prefix/"*) ;;
    *) fail "pkg-config --cflags attnbench gave '$cflags', not the installed include folder" ;;
  esac
  # shellcheck disable=SC2086 # cflags is a list of options
  run plugin-build "${CC:-cc}" -O2 -shared -fPIC $cflags mine.c -o libmine.so -lm
  run plugin-check "$attnbench" check --plugin ./libmine.so --impl twopass --quiet
  grep -qF "reference: $data/suites/golden/conformance" "$work/log/plugin-check" ||
    fail "the plugin's check did not use the golden set under $data"
  run plugin-bench "$attnbench" bench --plugin ./libmine.so --impl twopass,naive "${bench_args[@]}"
  reports=("$here"/bench-*.csv)
  if [ ${#reports[@]} -ne 1 ] || [ ! -f "${reports[0]}" ]; then
    fail "the plugin bench wrote no report (or more than one) in $here"
  fi
  grep -q ',twopass,.*,ok,' "${reports[0]}" || fail "no twopass row ok in ${reports[0]}"
  grep -q ',naive,.*,ok,' "${reports[0]}" || fail "no naive row ok in ${reports[0]}"

  # 6. A plugin with its own `#pragma omp parallel` region and a context (tests/plugin's
  #    omp_plugin.c and its test_kernel.h, copied), built against the installed header
  #    alone, beside the built-in omp and blas in the same commands.
  here=$(fresh_dir omp-plugin)
  cd "$here"
  cp "$omp_dir/omp_plugin.c" "$omp_dir/test_kernel.h" .
  # shellcheck disable=SC2086 # cflags is a list of options
  run omp-plugin-build gcc -O2 -shared -fPIC -fopenmp $cflags omp_plugin.c -o libompctx.so -lm
  # The header the compiler used is the installed one, not one from either tree or the system.
  # shellcheck disable=SC2086 # cflags is a list of options
  run omp-plugin-deps gcc -fopenmp $cflags -MM omp_plugin.c
  headers=" "                 # each file of the make rule, canonical, between spaces
  deps=$(<"$work/log/omp-plugin-deps")
  # shellcheck disable=SC2086 # split into words on purpose (the line breaks' \ removed)
  for word in ${deps//\\/ }; do
    case "$word" in *:) ;; *) headers+="$(realpath -m "$word") " ;; esac
  done
  case "$headers" in
    *" $(realpath "$prefix/include/attnbench.h") "*) ;;
    *) fail "omp_plugin.c was not compiled against $prefix/include/attnbench.h (it used:$headers)" ;;
  esac
  case "$headers" in
    *" $here/test_kernel.h "*) ;;
    *) fail "omp_plugin.c did not use the copied test_kernel.h (it used:$headers)" ;;
  esac
  run omp-plugin-check "$attnbench" check --plugin ./libompctx.so --impl omp,blas,ompctx,ompctx_rows \
    --threads 2 --quiet
  grep -qF "reference: $data/suites/golden/conformance" "$work/log/omp-plugin-check" ||
    fail "the OpenMP plugin's check did not use the golden set under $data"
  for impl in omp blas ompctx ompctx_rows; do
    grep -Eq "^$impl +[1-9][0-9]* +0 " "$work/log/omp-plugin-check" ||
      fail "check's summary has no passing, never failing line for $impl"
  done
  run omp-plugin-bench "$attnbench" bench --plugin ./libompctx.so --impl omp,blas,ompctx \
    --threads 1,2 --seq 64 --heads 2 --reps 3 --min-time 0.001 --no-ceiling
  reports=("$here"/bench-*.csv)
  if [ ${#reports[@]} -ne 1 ] || [ ! -f "${reports[0]}" ]; then
    fail "the OpenMP plugin's bench wrote no report (or more than one) in $here"
  fi
  # impl:threads:status of every row, read as CSV (fields may be quoted)
  rows=$(python3 - "${reports[0]}" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
header = rows[0]
assert all(len(r) == len(header) for r in rows), "ragged rows"
i, t, s = header.index("impl"), header.index("threads"), header.index("status")
for r in rows[1:]:
    print(f"{r[i]}:{r[t]}:{r[s]}")
PY
  ) || fail "the OpenMP plugin's report ${reports[0]} is not a valid CSV: $rows"
  for want in ompctx:1:ok ompctx:2:ok; do
    grep -qxF "$want" <<<"$rows" ||
      fail "no $want row in ${reports[0]} (rows: $(tr '\n' ' ' <<<"$rows"))"
  done
  echo "OpenMP plugin rows: $(tr '\n' ' ' <<<"$rows")"

  # 6b. Interface 2.2 from the installed header alone: tests/plugin's precision-contract
  #     emulations, judged on the installed precision suite. An honest contract passes; one
  #     that rounds K/V to fp16 but declares f32 fails (exit 1).
  here=$(fresh_dir contract-plugin)
  cd "$here"
  cp "$omp_dir/contract_plugin.c" .
  # shellcheck disable=SC2086 # cflags is a list of options
  run contract-plugin-build "${CC:-cc}" -O2 -shared -fPIC $cflags contract_plugin.c -o libcontract.so -lm
  run contract-plugin-check "$attnbench" check --plugin ./libcontract.so --impl emu_fa_bf16,omp_bf16 \
    --suite precision --layout bhsd --quiet
  grep -Eq "^emu_fa_bf16 +[1-9][0-9]* +0 " "$work/log/contract-plugin-check" ||
    fail "the honest contract emulation did not pass the installed precision suite"
  status=0
  "$attnbench" check --plugin ./libcontract.so --impl lie_kv_f16 --suite precision --layout bhsd \
    --quiet >"$work/log/contract-plugin-lie" 2>&1 || status=$?
  [ "$status" -eq 1 ] ||
    fail "K/V rounded to fp16 but declared f32: check exit $status, not 1 ($(tail -3 "$work/log/contract-plugin-lie"))"
  echo "undeclared rounding rejected by the installed binary (exit 1)"

  # 7. Traced: nothing under either tree was touched, and the tracing did see the files.
  if [ "$mode" = traced ]; then
    if grep -F -e "\"$source/" -e "\"$source\"" -e "\"$build/" -e "\"$build\"" "$work"/trace/*; then
      fail "the installed tool touched the source or build tree (above)"
    fi
    grep -qF "\"$data/suites/golden/conformance/" "$work"/trace/*-check ||
      fail "strace did not record check opening the golden set: the trace proves nothing"
    echo "strace: $calls commands, no file operation under $source or $build"
  fi
  echo "install_standalone: ok ($mode)"
  exit 0
fi

# ---- set-up: install, then run the above with both trees out of reach ----
[ $# -eq 5 ] ||
  fail "usage: install_standalone.sh CMAKE BUILD_DIR SOURCE_DIR PLUGIN_SOURCE OMP_PLUGIN_DIR"
cmake=$1
build=$(cd "$2" && pwd -P)
source=$(cd "$3" && pwd -P)
plugin_source=$4
omp_plugin_dir=$5
work=$(mktemp -d "${TMPDIR:-/tmp}/attnbench-install.XXXXXX")
work=$(cd "$work" && pwd -P)
keep=1
trap '[ "$keep" = 0 ] && rm -rf "$work" || echo "install_standalone: left $work"' EXIT
for tree in "$source" "$build"; do
  case "$work/" in "$tree"/*) fail "the temporary folder $work is inside $tree" ;; esac
done

"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log" ||
  fail "cmake --install: $(cat "$work/install.log")"
[ -x "$work/prefix/bin/attnbench" ] || fail "no bin/attnbench under the prefix"
[ -f "$work/prefix/share/attnbench/suites/conformance.suite" ] ||
  fail "no share/attnbench/suites/conformance.suite under the prefix"
[ -f "$work/prefix/share/attnbench/suites/golden/conformance/case-0001/SHA256SUMS" ] ||
  fail "no conformance golden set (with SHA256SUMS) under share/attnbench/suites/golden"
[ -f "$work/prefix/include/attnbench.h" ] || fail "no include/attnbench.h under the prefix"
cp "$0" "$work/install_standalone.sh"
cp "$plugin_source" "$work/plugin-source.c"
mkdir "$work/omp-plugin-source"
cp "$omp_plugin_dir/omp_plugin.c" "$omp_plugin_dir/test_kernel.h" "$omp_plugin_dir/contract_plugin.c" "$work/omp-plugin-source/" ||
  fail "cannot copy omp_plugin.c, test_kernel.h and contract_plugin.c from $omp_plugin_dir"

# A private mount namespace: as root directly, otherwise inside a user namespace.
namespace=(unshare --mount --propagation private)
[ "$(id -u)" -eq 0 ] || namespace=(unshare --user --map-root-user --mount --propagation private)
mkdir "$work/probe"
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
if "${namespace[@]}" sh -c 'mount -t tmpfs attnbench-probe "$1"' sh "$work/probe" 2>"$work/probe.err"; then
  # The build tree first: when it lies inside the source tree it is hidden either way.
  "${namespace[@]}" bash -c '
    set -e
    cd /
    mount -t tmpfs -o size=1m,mode=0755 attnbench-hidden "$1"
    mount -t tmpfs -o size=1m,mode=0755 attnbench-hidden "$2"
    shift 2
    exec bash "$@"' bash "$build" "$source" "$work/install_standalone.sh" --inner hidden \
    "$work/prefix" "$work" "$source" "$build" "$work/plugin-source.c" "$work/omp-plugin-source"
else
  echo "no mount namespace ($(cat "$work/probe.err")); proving it with strace instead"
  strace -f -qq -e trace=%file -o /dev/null true 2>"$work/strace.err" ||
    fail "neither a mount namespace nor strace is available, nothing can prove the trees unused: $(cat "$work/strace.err")"
  # A fresh copy, the installed one removed: the tool may only rely on where it now is.
  cp -a "$work/prefix" "$work/moved-prefix"
  rm -rf "$work/prefix"
  cd /
  bash "$work/install_standalone.sh" --inner traced "$work/moved-prefix" "$work" "$source" \
    "$build" "$work/plugin-source.c" "$work/omp-plugin-source"
fi
keep=0
