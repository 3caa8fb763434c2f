#!/usr/bin/env bash
# Where results go: output paths that are devices, FIFOs, symbolic links or folders;
# reports appended (not rewritten) row by row, kept until the new run has a row, locked
# against a second writer; runs that verified or measured nothing; the GFLOP/s table
# showing every row; stdout write errors; rerun lines that paste back into a shell; run
# refusing to save elements an implementation never wrote.
# usage: outputs.sh ATTNBENCH WORK_DIR LAZY_PLUGIN.so
set -uo pipefail
attnbench=$1 work=$2 lazy=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
skip() { skipped=$((skipped + 1)); echo "skipped: $*"; }
valid_csv() { # valid_csv FILE MIN_ROWS: RFC 4180 with complete rows only; prints the rows
  "$python" - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows and all(len(r) == len(rows[0]) for r in rows), "ragged rows"
assert len(rows) - 1 >= int(sys.argv[2]), f"only {len(rows) - 1} rows"
print(len(rows) - 1)
PY
}
"$python" - <<'PY'
import numpy as np
rng = np.random.default_rng(1)
np.save("q.npy", rng.uniform(-1, 1, (1, 1, 4, 8)).astype(np.float32))
np.save("k.npy", rng.uniform(-1, 1, (1, 1, 4, 8)).astype(np.float32))
np.save("v.npy", rng.uniform(-1, 1, (1, 1, 4, 8)).astype(np.float32))
PY
run=("$attnbench" run --impl naive --q q.npy --k k.npy --v v.npy)
short=(--threads 1 --reps 3 --min-time 0.001 --no-ceiling)
long=(bench --impl naive --seq 1024 --heads 8 --threads 1 --reps 4 --min-time 0.5 --budget 60
      --no-ceiling)
wait_for() { # wait_for FILE TEXT: until FILE holds TEXT (the process printed it)
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# ---- 1. output paths that are not regular files ----
# Device nodes of our own (never the machine's /dev/null: a broken build would replace it).
if mknod null c 1 3 2>/dev/null && mknod full c 1 7 2>/dev/null; then
  "${run[@]}" --out null >/dev/null 2>err.txt; status=$?
  [ "$status" -eq 0 ] && [ -c null ] && ok "run --out DEVICE(null): exit 0, still a device" ||
    bad "run --out null device: exit $status, $(stat -c %F null), $(cat err.txt)"
  "$attnbench" bench --impl naive --seq 8 --heads 1 "${short[@]}" --out null >/dev/null 2>err.txt
  status=$?
  [ "$status" -eq 0 ] && [ -c null ] && ok "bench --out DEVICE(null): exit 0, still a device" ||
    bad "bench --out null device: exit $status, $(stat -c %F null), $(cat err.txt)"
  "${run[@]}" --out full >/dev/null 2>err.txt; status=$?
  [ "$status" -eq 3 ] && [ -c full ] && grep -q "write failed" err.txt &&
    ok "run --out DEVICE(full): exit 3: $(cat err.txt)" ||
    bad "run --out full device: exit $status, $(stat -c %F full), $(cat err.txt)"
  "$attnbench" check --impl naive --case 'n=4 d=8' --csv full >/dev/null 2>err.txt; status=$?
  [ "$status" -eq 3 ] && [ -c full ] && ok "check --csv DEVICE(full): exit 3: $(cat err.txt)" ||
    bad "check --csv full device: exit $status, $(cat err.txt)"
else
  skip "device nodes (mknod not permitted here)"
fi
mkfifo fifo
cat fifo >from-fifo.npy &
reader=$!
"${run[@]}" --out fifo >/dev/null 2>err.txt; status=$?
[ -p fifo ] || kill $reader 2>/dev/null # replaced: nothing will ever open the FIFO's writing end
wait $reader
[ "$status" -eq 0 ] && [ -p fifo ] && "$python" -c "import numpy; numpy.load('from-fifo.npy')" &&
  ok "run --out FIFO: exit 0, still a FIFO, the reader got a valid .npy" ||
  bad "run --out fifo: exit $status, $(stat -c %F fifo), $(cat err.txt)"
# a symbolic link to a regular file: the link stays, its target is replaced
printf 'old' >target.npy && ln -s target.npy link.npy
"${run[@]}" --out link.npy >/dev/null 2>err.txt; status=$?
[ "$status" -eq 0 ] && [ -L link.npy ] && "$python" -c "import numpy; numpy.load('target.npy')" &&
  ok "run --out SYMLINK: the link kept, its target replaced by the output" ||
  bad "run --out symlink: exit $status, link.npy is $(stat -c %F link.npy), $(cat err.txt)"
ln -s made-by-link.npy dangling.npy
"${run[@]}" --out dangling.npy >/dev/null 2>err.txt; status=$?
[ "$status" -eq 0 ] && [ -L dangling.npy ] && [ -f made-by-link.npy ] &&
  ok "run --out DANGLING SYMLINK: the file it names is created" ||
  bad "run --out dangling symlink: exit $status, $(cat err.txt)"
# a folder is refused, for every command
mkdir adir
for command in "run" "check" "bench"; do
  case $command in
    run) "${run[@]}" --out adir >/dev/null 2>err.txt ;;
    check) "$attnbench" check --impl naive --case 'n=4 d=8' --csv adir >/dev/null 2>err.txt ;;
    bench) "$attnbench" bench --impl naive --seq 8 "${short[@]}" --out adir >/dev/null 2>err.txt ;;
  esac
  status=$?
  [ "$status" -eq 2 ] && [ -d adir ] && [ -z "$(ls -A adir)" ] && grep -q "adir" err.txt &&
    ok "$command: output path is a folder: exit 2: $(cat err.txt)" ||
    bad "$command: folder as output: exit $status, $(cat err.txt), $(ls adir)"
done
# /dev/fd/1 (as /dev/stdout) prints the CSV: to a pipe, and to a regular file in order
out=$("$attnbench" check --impl naive --case 'n=4 d=8' --layout bhsd --csv /dev/fd/1 2>err.txt)
status=$?
[ "$status" -eq 0 ] && [[ "$out" == *"impl,case,layout,status"* ]] &&
  [[ "$out" == *"naive,b=1 hq=1"* ]] && ok "check --csv /dev/fd/1 (a pipe): the CSV printed" ||
  bad "check --csv /dev/fd/1: exit $status, output: ${out:0:300} $(cat err.txt)"
"$attnbench" check --impl naive --case 'n=4 d=8' --layout bhsd --csv /dev/fd/1 >stdout.txt 2>err.txt
status=$?
order=$(grep -n -E '^(impl,case|checking|PASSED|naive,|per-case)' stdout.txt | cut -d: -f2 | cut -c1-5 | tr '\n' ' ')
[ "$status" -eq 0 ] && [ "$order" = "impl, check PASSE naive per-c " ] &&
  ok "check --csv /dev/fd/1 > FILE: the lines and the CSV in order, nothing lost" ||
  bad "check --csv /dev/fd/1 > file: exit $status, $(head -c 400 stdout.txt)"

# ---- 4. check --csv appends rows instead of rewriting the file per row ----
printf 'n=4,5,6,7,8,9 d=8\n' >six.suite
if strace -f -qq -e trace=rename,renameat,renameat2 -o trace.txt true 2>/dev/null; then
  # LeakSanitizer cannot run under ptrace (a sanitizer build of attnbench)
  ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -e trace=rename,renameat,renameat2 -o trace.txt \
    "$attnbench" check --impl naive,blocked --suite ./six.suite --csv six.csv >/dev/null 2>err.txt
  status=$?
  renames=$(grep -c 'six\.csv' trace.txt)
  rows=$(valid_csv six.csv 36)
  [ "$status" -eq 0 ] && [ "$renames" -le 1 ] &&
    ok "check --csv: $rows rows appended, the file renamed $renames time(s)" ||
    bad "check --csv: exit $status, $renames renames of six.csv for $rows rows"
else
  skip "check --csv rename count (strace cannot trace here)"
fi
# a write error (file size limit as a full disk): exit 3, a valid CSV of the rows before
(trap '' XFSZ; ulimit -f 2; exec "$attnbench" check --impl naive,blocked --suite ./six.suite \
  --csv limited.csv) >/dev/null 2>err.txt
status=$?
rows=$(valid_csv limited.csv 1) && [ "$status" -eq 3 ] && grep -q "write failed" err.txt &&
  ! ls | grep -q "limited.csv.tmp" &&
  ok "check --csv write error: exit 3, $rows complete rows kept, no temporary" ||
  bad "check --csv write error: exit $status, $(cat err.txt)"
# killed mid-run: the rows so far, valid
printf 'n=300,301,302,303,304,305,306,307,308,309,310,311 d=64 h=4\n' >slow.suite
"$attnbench" check --impl naive --no-golden --suite ./slow.suite --csv killed.csv >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ "$( (wc -l <killed.csv) 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.02; done
kill -KILL $pid; wait $pid 2>/dev/null
rows=$(valid_csv killed.csv 2) && ok "check --csv killed (SIGKILL) mid-run: $rows complete rows" ||
  bad "check --csv killed: $(head -c 300 killed.csv)"

# ---- 5. a run that verified or measured nothing is not a success ----
"$attnbench" check --impl blas --layout bshd --case 'n=4 d=8' >/dev/null 2>err.txt; status=$?
[ "$status" -eq 2 ] && grep -q "verified nothing" err.txt &&
  ok "check with every case SKIPPED: exit 2: $(cat err.txt)" ||
  bad "check, all skipped: exit $status, $(cat err.txt)"
"$attnbench" bench --impl blas --layout bshd --seq 8 --heads 1 "${short[@]}" --out skipped.csv \
  >/dev/null 2>err.txt
status=$?
[ "$status" -eq 2 ] && grep -q "measured nothing" err.txt && grep -q ',skipped,' skipped.csv &&
  ok "bench with no ok row: exit 2: $(grep measured err.txt)" ||
  bad "bench, all skipped: exit $status, $(cat err.txt)"

# ---- 6. a previous report survives until the new run has a row; a second writer refused ----
printf 'previous,report\r\n1,2\r\n' >previous.csv
cp previous.csv previous.orig
"$attnbench" "${long[@]}" --out previous.csv >banner.txt 2>err.txt &
pid=$!
if wait_for banner.txt "report"; then
  cmp -s previous.csv previous.orig && ok "bench --out EXISTING: untouched while the first case runs" ||
    bad "bench --out existing: the previous report was replaced before any row"
  kill -TERM $pid
fi
wait $pid; status=$?
cmp -s previous.csv previous.orig && [ "$status" -eq 143 ] && grep -q "left as it was" err.txt &&
  ok "bench --out EXISTING interrupted before a row: exit $status, previous report intact" ||
  bad "bench --out existing interrupted: exit $status, $(cat err.txt), $(head -c 200 previous.csv)"
ls | grep -q "previous.csv.tmp" && bad "an interrupted bench left a temporary report"
"$attnbench" "${long[@]}" --out shared.csv >banner.txt 2>err.txt &
pid=$!
if wait_for banner.txt "report"; then
  "$attnbench" bench --impl naive --seq 8 --heads 1 "${short[@]}" --out shared.csv >/dev/null 2>second.txt
  status=$?
  [ "$status" -eq 2 ] && grep -q "another attnbench is writing" second.txt &&
    ok "a second bench on the same --out: exit 2: $(cat second.txt)" ||
    bad "a second bench on the same --out: exit $status, $(cat second.txt)"
  "$attnbench" check --impl naive --case 'n=4 d=8' --csv shared.csv >/dev/null 2>second.txt
  status=$?
  [ "$status" -eq 2 ] && ok "check --csv on a report bench is writing: exit 2" ||
    bad "check --csv on a locked report: exit $status, $(cat second.txt)"
  kill -TERM $pid
else
  bad "bench did not start: $(cat err.txt)"
fi
wait $pid

# ---- 9. the GFLOP/s table shows every measured row ----
printf 'nq=8 nkv=8,16 d=8\nn=8 d=8 dv=16\nn=8 d=8 dist=ties\nn=8 d=8\n' >shapes.suite
"$attnbench" bench --impl naive --suite ./shapes.suite "${short[@]}" --out shapes.csv >table.txt 2>err.txt
status=$?
cells=$(grep -c '^naive ' table.txt)
[ "$status" -eq 0 ] && [ "$cells" -eq 5 ] &&
  ok "table: cases differing in nkv, dv, dist (and a repeated case): $cells rows for 5 measured" ||
  bad "table: exit $status, $cells rows for 5 measurements: $(cat table.txt)"
seqs=$(seq -s, 1 70)
"$attnbench" bench --impl naive --seq "$seqs" --heads 1 --dim 8 "${short[@]}" --out seqs.csv \
  >table.txt 2>err.txt
status=$?
shown=$("$python" - <<'PY'
cells = 0
for line in open("table.txt"):
    if line.startswith("naive "):
        cells += len(line.split()) - 7  # impl thr b hq hkv d mask, then one cell per nq
print(cells)
PY
)
[ "$status" -eq 0 ] && [ "$shown" -eq 70 ] && ok "table: 70 sequence lengths, $shown cells shown" ||
  bad "table: exit $status, $shown of 70 cells shown"

# ---- rough edges ----
# option before the command
"$attnbench" --plugin "$lazy" list >list.txt 2>err.txt; status=$?
[ "$status" -eq 0 ] && grep -q "lazy" list.txt && ok "attnbench --plugin LIB list: exit 0, lists it" ||
  bad "--plugin before the command: exit $status, $(cat err.txt)"
# an element never written: run fails naming it, saves nothing
"$attnbench" run --plugin "$lazy" --impl lazy --q q.npy --k k.npy --v v.npy --out lazy.npy \
  >/dev/null 2>err.txt
status=$?
[ "$status" -eq 3 ] && grep -q "never wrote O\[0\]\[0\]\[1\]\[2\]" err.txt && [ ! -e lazy.npy ] &&
  ok "run, an element never written: exit 3: $(cat err.txt)" ||
  bad "run, unwritten element: exit $status, $(cat err.txt)"
# rerun lines paste back into a shell, spaces in paths and all
mkdir -p "my plugins" && cp "$lazy" "my plugins/lazy it.so"
"$attnbench" check --plugin "$work/my plugins/lazy it.so" --impl lazy --layout bhsd \
  --case 'nq=4 nkv=4 d=8' >check.txt 2>err.txt
rerun=$(grep -m 1 'rerun: ' check.txt | sed 's/^ *rerun: //')
rerun=${rerun/attnbench/\"\$attnbench\"}
attnbench=$attnbench bash -c "$rerun" >rerun.txt 2>&1; status=$?
[ "$status" -eq 1 ] && grep -q "^FAILED  lazy" rerun.txt &&
  ok "the rerun line of a plugin path with spaces runs the case again: $rerun" ||
  bad "rerun line: exit $status: $rerun: $(head -c 300 rerun.txt)"
# a failed write to stdout is an error
for args in "list" "check --impl naive --case n=4" "check --help"; do
  # shellcheck disable=SC2086
  "$attnbench" $args >/dev/full 2>err.txt; status=$?
  [ "$status" -eq 3 ] && grep -q "standard output" err.txt && ok "attnbench $args > /dev/full: exit 3" ||
    bad "attnbench $args > /dev/full: exit $status, $(cat err.txt)"
done
# names longer than 10 characters keep the columns aligned
"$attnbench" check --plugin "$lazy" --impl naive,correct_with_a_long_name --layout bhsd \
  --case 'n=4 d=8' >aligned.txt 2>err.txt
columns=$(grep '^PASSED' aligned.txt | awk '{ print index($0, "err/tol") }' | sort -u | wc -l)
[ "$columns" -eq 1 ] && ok "check: err/tol in one column beside a long name" ||
  bad "check columns misaligned: $(cat aligned.txt)"
"$attnbench" bench --plugin "$lazy" --impl naive,correct_with_a_long_name --seq 8,16 --heads 1 \
  "${short[@]}" --out aligned.csv >aligned.txt 2>err.txt
widths=$(sed -n '/^GFLOP/,$p' aligned.txt | grep -E '^(impl|naive|correct)' | awk '{ print length($0) }' | sort -u | wc -l)
[ "$widths" -eq 1 ] && ok "bench table: rows aligned beside a long name" ||
  bad "bench table misaligned: $(cat aligned.txt)"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
