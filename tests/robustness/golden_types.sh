#!/usr/bin/env bash
# Golden sets at reduced element types: q/k/v stored as '<f2' (fp16) or '<u2' (bf16 bits)
# with types.txt naming them. A set whose types.txt, or the dtype of an input, disagrees
# with the case is refused with exit status 2 naming the file, even with SHA256SUMS
# regenerated; a set of format 1 (no types.txt) still loads for f32 cases.
set -uo pipefail
attnbench=$1 work=$2 golden_dir=$3
python=/usr/bin/python3
bf16=$golden_dir/conformance-bf16 f32=$golden_dir/conformance
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
resum() { (cd "$1" && sha256sum $(ls | grep -v SHA256SUMS) >SHA256SUMS); }

# expect_refused LABEL SET WANT [check options]: exit 2, WANT in the message, nothing passed
expect_refused() {
  local label=$1 set=$2 want=$3
  shift 3
  "$attnbench" check --impl naive --golden "$set" --quiet "$@" >"$label.out" 2>"$label.err"
  local status=$? message
  message=$(grep -v '^attnbench: OpenBLAS' "$label.err" | head -n 1)
  if [ "$status" -eq 2 ] && [[ "$message" == *"$want"* ]] && ! grep -q PASSED "$label.out"; then
    ok "$label: exit 2: ${message:0:220}"
  else
    bad "$label: exit $status (want 2), message: $message (want \"$want\")"
  fi
}

"$attnbench" check --impl naive --types bf16 --quiet >control.out 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -q "reference: .*conformance-bf16" control.out; then
  ok "check --types bf16 uses the committed bf16 set and passes"
else
  bad "check --types bf16: exit $status: $(head -n 2 control.out)"
fi
head -n 1 "$bf16/case-0001/types.txt" | grep -qx "q bf16" && ok "types.txt names q bf16" ||
  bad "types.txt: $(cat "$bf16/case-0001/types.txt")"

cp -r "$bf16" edited
sed -i 's/^k bf16$/k f16/' edited/case-0001/types.txt && resum edited/case-0001
expect_refused types_edited edited "case-0001/types.txt does not describe the case's element types (bf16)" --types bf16

cp -r "$bf16" untyped
rm untyped/case-0001/types.txt && resum untyped/case-0001
expect_refused types_missing untyped "case-0001/types.txt: missing, and the case has reduced element types" --types bf16

cp -r "$bf16" widened
"$python" - widened/case-0001/q.npy <<'PY' || bad "could not widen q.npy"
import sys, numpy as np
bits = np.load(sys.argv[1])
np.save(sys.argv[1], (bits.astype(np.uint32) << 16).view(np.float32))
PY
resum widened/case-0001
expect_refused dtype_widened widened "case-0001/q.npy: dtype or shape does not match the case" --types bf16

# A set of format 1: no types.txt anywhere, f32 cases: loads as before.
cp -r "$f32" format1
for c in format1/case-*; do rm "$c/types.txt" && resum "$c"; done
"$attnbench" check --impl naive --golden format1 --quiet >format1.out 2>&1
status=$?
[ "$status" -eq 0 ] && ok "a format-1 f32 set (no types.txt) still loads: exit 0" ||
  bad "format-1 set: exit $status: $(tail -n 2 format1.out)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
