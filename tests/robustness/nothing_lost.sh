#!/usr/bin/env bash
# Faults must never lose finished results or leave files a later run would trust:
# signals during bench, write errors (a file-size limit stands in for a full disk),
# failed golden writes, and damaged golden files.
set -uo pipefail
attnbench=$1 work=$2 repo=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
valid_csv() { # valid_csv FILE MIN_ROWS: RFC 4180 with complete rows only
  "$python" - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows and all(len(r) == len(rows[0]) for r in rows), "ragged rows"
assert len(rows) - 1 >= int(sys.argv[2]), f"only {len(rows) - 1} rows"
print(len(rows) - 1)
PY
}
sweep=(bench --impl naive --seq 64,128,256,512,1024 --heads 4 --threads 1 --reps 5 --min-time 0.02 --no-ceiling)

# 1. SIGTERM and SIGINT mid-sweep: a valid report of the rows finished so far.
for signal in TERM INT; do
  out=$work/signal-$signal.csv
  "$attnbench" "${sweep[@]}" --out "$out" >/dev/null 2>"$work/signal-$signal.err" &
  pid=$!
  for _ in $(seq 600); do [ "$( (wc -l <"$out") 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.05; done
  kill -$signal $pid; wait $pid; status=$?
  rows=$(valid_csv "$out" 2) && [ "$status" -ne 0 ] && grep -q "holds the" "$work/signal-$signal.err" &&
    ok "SIG$signal: exit $status, $rows complete rows kept" ||
    bad "SIG$signal: exit $status, report: $(head -c 300 "$out" 2>/dev/null)"
  ls "$work" | grep -q "signal-$signal.csv.tmp" && bad "SIG$signal left a temporary file"
done

# 2. A write error mid-run (file size limit: writes fail with EFBIG as on a full disk):
#    reported with exit 3, the temporary file removed, the last good report kept.
out=$work/full.csv
(trap '' XFSZ; ulimit -f 4; exec "$attnbench" "${sweep[@]}" --out "$out") >/dev/null 2>"$work/full.err"
status=$?
rows=$(valid_csv "$out" 1) && [ "$status" -eq 3 ] && grep -q "write failed" "$work/full.err" &&
  ! ls "$work" | grep -q "full.csv.tmp" &&
  ok "write error: exit 3, '$(head -c 120 "$work/full.err")', $rows rows kept, no temporary file" ||
  bad "write error: exit $status, $(cat "$work/full.err")"

# 3. A report folder that does not exist: exit 2, nothing created.
"$attnbench" "${sweep[@]}" --out "$work/missing/x.csv" >/dev/null 2>"$work/missing.err"
status=$?
[ "$status" -eq 2 ] && [ ! -e "$work/missing" ] && ok "missing folder: exit 2: $(cat "$work/missing.err")" ||
  bad "missing folder: exit $status"

# 4. golden: a failed write leaves the previous set untouched and no partial folder.
cp -r "$repo/suites/golden/conformance" "$work/golden"
before=$(cd "$work/golden" && find . -type f -exec sha256sum {} + | sort | sha256sum)
(trap '' XFSZ; ulimit -f 16; exec "$attnbench" golden --suite conformance --out "$work/golden") >/dev/null 2>"$work/golden.err"
status=$?
after=$(cd "$work/golden" && find . -type f -exec sha256sum {} + | sort | sha256sum)
[ "$status" -ne 0 ] && [ "$before" = "$after" ] && ! ls "$work" | grep -q "golden.partial" &&
  ok "golden write error: exit $status, previous set intact, no partial set" ||
  bad "golden write error: exit $status, intact=$([ "$before" = "$after" ] && echo yes || echo no), $(ls "$work")"

# 5. A damaged or truncated golden file is an error naming it, never a comparison.
cp -r "$repo/suites/golden/conformance" "$work/damaged"
printf '\x01' | dd of="$work/damaged/case-0007/o.npy" bs=1 seek=200 conv=notrunc status=none
"$attnbench" check --impl naive --golden "$work/damaged" --quiet >/dev/null 2>"$work/damaged.err"
status=$?
[ "$status" -eq 2 ] && grep -q "case-0007/o.npy: checksum mismatch" "$work/damaged.err" &&
  ok "damaged golden file: exit 2: $(head -c 150 "$work/damaged.err")" || bad "damaged golden: exit $status"
cp -r "$repo/suites/golden/conformance" "$work/truncated"
truncate -s 100 "$work/truncated/case-0003/q.npy"
"$attnbench" check --impl naive --golden "$work/truncated" --quiet >/dev/null 2>"$work/truncated.err"
status=$?
[ "$status" -eq 2 ] && grep -q "case-0003/q.npy" "$work/truncated.err" &&
  ok "truncated golden file: exit 2: $(head -c 150 "$work/truncated.err")" || bad "truncated golden: exit $status"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
