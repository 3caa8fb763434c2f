#!/usr/bin/env bash
# `bench --reps 1` has one sample per row, and one sample has no spread: time_stddev_s and
# time_cv must be empty (they were 0, a perfectly steady measurement), while two samples
# give numbers; scripts/compare and scripts/plot read such a report (compare calls its
# cases "insufficient samples" and, as a gate, exits 2: nothing was judged).
set -uo pipefail
attnbench=$1 work=$2 repo=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
failed=0
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }
bench() { # bench OUT REPS
  "$attnbench" bench --impl naive --seq 16,32 --heads 1 --threads 1 --reps "$2" --min-time 0.001 \
    --no-ceiling --out "$1" > "$1.log" 2>&1 || fail "bench --reps $2: exit $? ($(tail -n 3 "$1.log"))"
}
# fields OUT: "STATUS SAMPLES [STDDEV] [CV]" for every row, one line each
fields() {
  "$python" - "$1" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], newline="")):
    samples = len(row["samples_s"].split(";"))
    print(f"{row['status']} {samples} [{row['time_stddev_s']}] [{row['time_cv']}]")
PY
}
bench one.csv 1
bench two.csv 2
one=$(fields one.csv) two=$(fields two.csv)
echo "reps 1: $one" | tr '\n' ' '; echo
echo "reps 2: $two" | tr '\n' ' '; echo
[ "$(printf '%s\n' "$one" | grep -c '^ok 1 \[\] \[\]$')" -eq 2 ] || fail "reps 1: stddev / cv not empty: $one"
[ "$(printf '%s\n' "$two" | grep -cE '^ok 2 \[[0-9.e+-]+\] \[[0-9.e+-]+\]$')" -eq 2 ] || fail "reps 2: stddev / cv not numbers: $two"

out=$("$python" "$repo/scripts/compare" --baseline one.csv one.csv 2>&1); status=$?
[ $status -eq 0 ] && [[ $out == *"2 insufficient samples"* ]] || fail "compare one.csv: exit $status: $out"
out=$("$python" "$repo/scripts/compare" --baseline one.csv one.csv --fail-on-regression 2>&1); status=$?
[ $status -eq 2 ] && [[ $out == *"nothing compared"* ]] || fail "compare --fail-on-regression one.csv: exit $status: $out"
out=$("$python" "$repo/scripts/compare" --baseline two.csv one.csv 2>&1); status=$?
[ $status -eq 0 ] || fail "compare two.csv one.csv: exit $status: $out"
out=$("$python" "$repo/scripts/plot" one.csv --out plots 2>&1); status=$?
[ $status -eq 0 ] && [ -s plots/gflops.png ] || fail "plot one.csv: exit $status: $out"
[[ $out != *Traceback* ]] || fail "plot one.csv: traceback: $out"

if [ $failed -eq 0 ]; then echo "single-sample reports: all checks passed"; fi
exit $((failed > 0))
