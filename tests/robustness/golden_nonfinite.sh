#!/usr/bin/env bash
# A golden set holding a value the reference never writes (NaN, +-inf, a negative
# tolerance) is damaged, even with SHA256SUMS regenerated to match: check stops with exit
# status 2 naming the file and the element, instead of comparing against it (a NaN
# compares false with everything, so every element used to PASS). LSE = -inf, which the
# reference writes for rows with no visible key, stays valid.
set -uo pipefail
attnbench=$1 work=$2 golden=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# The committed set as it is: passes, -inf LSE rows (case-0024 has 252) included.
"$attnbench" check --impl naive --golden "$golden" --quiet >"$work/control.out" 2>&1
status=$?
[ "$status" -eq 0 ] && ok "unmodified set (with LSE = -inf rows): exit 0" ||
  bad "unmodified set: exit $status: $(tail -n 3 "$work/control.out")"

# damage LABEL CASE FILE INDEX VALUE WANT: sets element INDEX (flat) of CASE/FILE to VALUE,
# regenerates SHA256SUMS, and expects exit 2 with WANT in the message.
damage() {
  local label=$1 case=$2 file=$3 index=$4 value=$5 want=$6
  local set=$work/$label
  cp -r "$golden" "$set"
  "$python" - "$set/$case/$file" "$index" "$value" <<'PY' || { bad "$label: could not edit"; return; }
import sys, numpy as np
path, index, value = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
a = np.load(path)
a.reshape(-1)[index] = value
np.save(path, a)
PY
  (cd "$set/$case" && sha256sum case.txt types.txt q.npy k.npy v.npy o.npy o_tol.npy lse.npy lse_tol.npy >SHA256SUMS)
  (cd "$set/$case" && sha256sum -c --quiet SHA256SUMS) || { bad "$label: checksums not regenerated"; return; }
  "$attnbench" check --impl naive --golden "$set" --quiet >"$work/$label.out" 2>"$work/$label.err"
  local status=$?
  local message
  message=$(grep -v '^attnbench: OpenBLAS' "$work/$label.err" | head -n 1)
  if [ "$status" -eq 2 ] && [[ "$message" == *"$want"* ]] && ! grep -q PASSED "$work/$label.out"; then
    ok "$label: exit 2: ${message:0:200}"
  else
    bad "$label: exit $status (want 2), message: $message (want \"$want\"), stdout: $(head -c 300 "$work/$label.out")"
  fi
  rm -rf "$set"
}

damage o_nan           case-0001 o.npy       5 nan   "case-0001/o.npy: element 5 (O[0][0][0][5]) is NaN"
damage o_inf           case-0001 o.npy       0 inf   "case-0001/o.npy: element 0 (O[0][0][0][0]) is inf"
damage o_minus_inf     case-0001 o.npy       3 -inf  "case-0001/o.npy: element 3 (O[0][0][0][3]) is -inf"
damage o_tol_nan       case-0001 o_tol.npy   7 nan   "case-0001/o_tol.npy: element 7 (O[0][0][0][7]) is NaN"
damage o_tol_inf       case-0001 o_tol.npy   1 inf   "case-0001/o_tol.npy: element 1 (O[0][0][0][1]) is inf"
damage o_tol_negative  case-0001 o_tol.npy   2 -1e-3 "case-0001/o_tol.npy: element 2 (O[0][0][0][2]) is a negative tolerance"
damage lse_nan         case-0001 lse.npy     0 nan   "case-0001/lse.npy: element 0 (LSE[0][0][0]) is NaN"
damage lse_inf         case-0001 lse.npy     0 inf   "case-0001/lse.npy: element 0 (LSE[0][0][0]) is inf"
damage lse_tol_nan     case-0001 lse_tol.npy 0 nan   "case-0001/lse_tol.npy: element 0 (LSE[0][0][0]) is NaN"
damage lse_tol_neg     case-0001 lse_tol.npy 0 -1    "case-0001/lse_tol.npy: element 0 (LSE[0][0][0]) is a negative tolerance"
# a row with no visible key: its LSE -inf turned into +inf or NaN
damage lse_empty_row_inf case-0024 lse.npy   4 inf   "case-0024/lse.npy: element 4"
damage lse_empty_row_nan case-0024 lse.npy   4 nan   "case-0024/lse.npy: element 4"
# inputs were already refused; still refused
damage q_nan           case-0001 q.npy       0 nan   "case-0001/q.npy: Q holds NaN at flat index 0"
damage v_inf           case-0001 v.npy       3 inf   "case-0001/v.npy: V holds Inf at flat index 3"

echo "golden non-finite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
