#!/usr/bin/env bash
# Reports say which kernel table ran and which OpenBLAS core was asked for and used:
# every bench CSV row has kernel_isa ("portable" under ATTNBENCH_NO_SIMD=1, the table
# check announces otherwise, "n/a" for naive) and blas_coretype (OPENBLAS_CORETYPE as
# set); blas_core is what OpenBLAS picked, and a name it did not honour is warned about.
# Usage: builds_report.sh ATTNBENCH WORK_DIR
set -uo pipefail
attnbench=$1 work=$2
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# field CSV IMPL COLUMN: the column of the row of IMPL (all rows of IMPL must agree).
field() {
  "$python" - "$@" <<'PY'
import csv, sys
path, impl, column = sys.argv[1:4]
with open(path, newline="") as f:
    values = {row[column] for row in csv.DictReader(f) if row["impl"] == impl}
print(values.pop() if len(values) == 1 else "<%d values: %s>" % (len(values), sorted(values)))
PY
}

bench() { # bench OUT ENV...: a tiny bench of naive, blocked and blas with the given environment
  local out=$1; shift
  env -u OPENBLAS_CORETYPE -u ATTNBENCH_NO_SIMD ATTNBENCH_KEEP_BLAS_CORE=1 "$@" \
    "$attnbench" bench --impl naive,blocked,blas --seq 16 --heads 1 --threads 1 --reps 3 \
    --min-time 0.001 --no-ceiling --out "$out" >"$out.stdout" 2>"$out.stderr"
}

# ---- the portable table, forced ----
if bench portable.csv ATTNBENCH_NO_SIMD=1; then
  for impl in blocked blas; do
    got=$(field portable.csv $impl kernel_isa)
    [ "$got" = portable ] && ok "NO_SIMD: $impl kernel_isa=portable" ||
      fail "NO_SIMD: $impl kernel_isa is '$got', want portable"
  done
  got=$(field portable.csv naive kernel_isa)
  [ "$got" = n/a ] && ok "naive kernel_isa=n/a" || fail "naive kernel_isa is '$got', want n/a"
  got=$(field portable.csv naive blas_coretype)
  [ -z "$got" ] && ok "OPENBLAS_CORETYPE unset: blas_coretype empty" ||
    fail "OPENBLAS_CORETYPE unset, blas_coretype is '$got'"
else
  cat portable.csv.stderr; fail "bench with ATTNBENCH_NO_SIMD=1 exited $?"
fi
env ATTNBENCH_NO_SIMD=1 "$attnbench" check --impl blocked --quiet \
  --case 'b=1 hq=1 hkv=1 nq=8 nkv=8 d=16' >check-portable.txt 2>&1
grep -q 'kernel_isa=portable' check-portable.txt && ok "check says kernel_isa=portable" ||
  { cat check-portable.txt; fail "check under ATTNBENCH_NO_SIMD=1 does not say kernel_isa=portable"; }

# ---- the table chosen from the CPU: the same in check and in bench; AVX-512 where the CPU has it ----
env -u ATTNBENCH_NO_SIMD "$attnbench" check --impl blocked --quiet \
  --case 'b=1 hq=1 hkv=1 nq=8 nkv=8 d=16' >check-native.txt 2>&1
announced=$(sed -n 's/.*kernel_isa=\([a-z0-9]*\).*/\1/p' check-native.txt | head -n 1)
if [ "$(uname -m)" = x86_64 ] && grep -qw avx512f /proc/cpuinfo; then want=avx512; else want=portable; fi
[ "$announced" = "$want" ] && ok "check says kernel_isa=$want on this CPU" ||
  { cat check-native.txt; fail "check says kernel_isa='$announced', want $want on this CPU"; }
if bench native.csv; then
  got=$(field native.csv blocked kernel_isa)
  [ "$got" = "$want" ] && ok "bench rows say kernel_isa=$want" || fail "bench: blocked kernel_isa '$got', want $want"
else
  cat native.csv.stderr; fail "bench exited $?"
fi

# ---- OPENBLAS_CORETYPE that OpenBLAS does not know: recorded apart, and warned about ----
if bench junk.csv OPENBLAS_CORETYPE=junk; then
  coretype=$(field junk.csv naive blas_coretype) core=$(field junk.csv naive blas_core)
  note=$(field junk.csv naive blas_note)
  [ "$coretype" = junk ] && ok "blas_coretype=junk" || fail "blas_coretype is '$coretype', want junk"
  [ -n "$core" ] && [ "$core" != junk ] && ok "blas_core=$core (what OpenBLAS picked)" ||
    fail "blas_core is '$core'"
  [[ "$note" == *"WARNING: OPENBLAS_CORETYPE=junk"*"OpenBLAS runs its $core core"* ]] &&
    ok "blas_note warns: $note" || fail "blas_note '$note' does not warn that junk was not used"
  grep -q "WARNING: OPENBLAS_CORETYPE=junk" junk.csv.stderr && ok "bench warns on stderr" ||
    { cat junk.csv.stderr; fail "no warning on stderr"; }
else
  cat junk.csv.stderr; fail "bench with OPENBLAS_CORETYPE=junk exited $?"
fi

# ---- OPENBLAS_CORETYPE naming the core OpenBLAS picks: no such warning ----
picked=$(field native.csv naive blas_core)
if [ -n "$picked" ] && bench picked.csv "OPENBLAS_CORETYPE=$picked"; then
  note=$(field picked.csv naive blas_note) coretype=$(field picked.csv naive blas_coretype)
  [ "$coretype" = "$picked" ] && [[ "$note" != *"OpenBLAS runs its"* ]] &&
    ok "OPENBLAS_CORETYPE=$picked honoured: blas_note '$note'" ||
    fail "OPENBLAS_CORETYPE=$picked: blas_coretype '$coretype', blas_note '$note'"
else
  fail "bench with OPENBLAS_CORETYPE=$picked failed"
fi

[ "$failures" -eq 0 ] && echo "builds_report: all passed" || { echo "builds_report: $failures failed"; exit 1; }
