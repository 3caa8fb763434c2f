#!/usr/bin/env bash
# Every way in answers bad input with exit status 2 and a message naming the file, line,
# field or value. Prints one table row per class: what was tried, status, message.
set -uo pipefail
attnbench=$1 work=$2 golden=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
passed=0 failed=0
# expect LABEL STATUS SUBSTRING -- COMMAND...
expect() {
  local label=$1 want=$2 text=$3; shift 4
  local out status
  out=$("$@" 2>&1 >/dev/null); status=$?
  out=$(printf '%s' "$out" | grep -v '^attnbench: OpenBLAS' | head -n 1)
  if [ "$status" -eq "$want" ] && [[ "$out" == *"$text"* ]]; then
    passed=$((passed + 1)); printf '| %s | %d | %s |\n' "$label" "$status" "${out:0:160}"
  else
    failed=$((failed + 1)); printf 'FAILED: %s: exit %d (want %d), message: %s (want "%s")\n' "$label" "$status" "$want" "$out" "$text"
  fi
}
suite() { printf '%b' "$2" > "$1"; }

echo "| input | exit | message |"
echo "|---|---|---|"
# suite files
suite unknown.suite 'n=4\nfoo=3\n';              expect "suite: unknown key" 2 "unknown.suite:2: unknown key 'foo'" -- "$attnbench" check --suite ./unknown.suite
suite number.suite 'n=4x\n';                     expect "suite: bad number" 2 "number.suite:1: n=4x: not an integer" -- "$attnbench" check --suite ./number.suite
suite empty.suite 'n=1,,2\n';                    expect "suite: empty list item" 2 "empty.suite:1: n=1,,2: empty value" -- "$attnbench" check --suite ./empty.suite
suite noval.suite 'n=\n';                        expect "suite: empty list" 2 "noval.suite:1: n=: empty value" -- "$attnbench" check --suite ./noval.suite
suite cycle_a.suite '--include=cycle_b.suite\n'; suite cycle_b.suite '--include=cycle_a.suite\n'
expect "suite: include cycle" 2 "include cycle" -- "$attnbench" check --suite ./cycle_a.suite
suite missing.suite 'n=4\n--include=nowhere.suite\n'; expect "suite: missing include" 2 "missing.suite:2: ./nowhere.suite: cannot open" -- "$attnbench" check --suite ./missing.suite
"$python" -c "print('n=' + '1,' * 3000 + '1')" > long.suite; expect "suite: very long line" 2 "long.suite:1: line longer than 4095" -- "$attnbench" check --suite ./long.suite
head -c 300 /dev/urandom > garbage.suite;       expect "suite: binary garbage" 2 "garbage.suite:" -- "$attnbench" check --suite ./garbage.suite
suite nocase.suite '# nothing\n--n=4\n';        expect "suite: no case" 2 "defines no case" -- "$attnbench" check --suite ./nocase.suite
suite gqa.suite 'hq=3 hkv=2\n';                 expect "suite: hq not multiple of hkv" 2 "gqa.suite:1: case 'b=1 hq=3 hkv=2" -- "$attnbench" check --suite ./gqa.suite
expect "suite: missing file" 2 "cannot open" -- "$attnbench" check --suite ./absent.suite
# .npy files
"$python" - <<'PY'
import numpy as np, struct
q = np.ones((1, 1, 4, 8), np.float32)
np.save("good.npy", q)
raw = open("good.npy", "rb").read()
open("truncated.npy", "wb").write(raw[:-10])
open("magic.npy", "wb").write(b"\x93NUMPX" + raw[6:])
open("version.npy", "wb").write(raw[:6] + b"\x09\x00" + raw[8:])
np.save("f64.npy", q.astype(np.float64))
np.save("int.npy", q.astype(np.int32))
np.save("bigendian.npy", q.astype(">f4"))
np.save("fortran.npy", np.asfortranarray(np.ones((4, 8, 2), np.float32)))
np.save("rank1.npy", np.ones(8, np.float32))
lie = bytearray(raw); lie[8:10] = struct.pack("<H", 60000); open("headerlie.npy", "wb").write(bytes(lie))
bad = q.copy(); bad[0, 0, 1, 2] = np.nan; np.save("nan.npy", bad)
inf = q.copy(); inf[0, 0, 3, 0] = np.inf; np.save("inf.npy", inf)
np.save("k5.npy", np.ones((1, 1, 4, 5), np.float32))
PY
run_with() { "$attnbench" run --impl naive --q "$1" --k good.npy --v good.npy --out out.npy; }
expect "npy: truncated" 2 "truncated.npy" -- run_with truncated.npy
expect "npy: wrong magic" 2 "magic.npy" -- run_with magic.npy
expect "npy: unsupported version" 2 "version.npy" -- run_with version.npy
expect "npy: float64 input" 2 "f64.npy: dtype is float64" -- run_with f64.npy
expect "npy: int dtype" 2 "int.npy" -- run_with int.npy
expect "npy: big-endian" 2 "bigendian.npy" -- run_with bigendian.npy
expect "npy: Fortran order" 2 "fortran.npy" -- run_with fortran.npy
expect "npy: wrong rank" 2 "rank1.npy: rank 1" -- run_with rank1.npy
expect "npy: header length lies" 2 "headerlie.npy" -- run_with headerlie.npy
expect "npy: NaN input" 2 "nan.npy holds NaN at flat index 10" -- run_with nan.npy
expect "npy: Inf input" 2 "inf.npy holds Inf at flat index 24" -- run_with inf.npy
expect "npy: shape mismatch Q/K" 2 "Q has head dim 8 but K has 5" -- "$attnbench" run --impl naive --q good.npy --k k5.npy --v good.npy --out out.npy
expect "npy: missing file" 2 "absent.npy" -- run_with absent.npy
# command-line values
expect "cli: zero size" 2 "nq=0: must be between 1" -- "$attnbench" check --case "nq=0"
expect "cli: negative size" 2 "d=-4: must be between 1" -- "$attnbench" check --case "d=-4"
expect "cli: hq not multiple of hkv" 2 "hq=6 is not a multiple of hkv=4" -- "$attnbench" check --case "hq=6 hkv=4"
expect "cli: window nonsense" 2 "window=3: expected L:R" -- "$attnbench" check --case "window=3"
expect "cli: window below -1" 2 "window=-2:0" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out out.npy --window -2:0
expect "cli: threads 0" 2 "--threads 0: expected a positive integer" -- "$attnbench" check --threads 0
expect "cli: bench threads list 0" 2 "--threads 0" -- "$attnbench" bench --threads 1,0 --seq 8
expect "cli: bench seq 0" 2 "nq=0: must be between 1" -- "$attnbench" bench --seq 0
expect "cli: bench empty thread item" 2 "expected a comma list of thread counts" -- "$attnbench" bench --threads 1,,2
expect "cli: check empty invariance item" 2 "expected a comma list of thread counts" -- "$attnbench" check --invariance 2,
expect "cli: sizes overflow size_t" 2 "tensor sizes overflow size_t" -- "$attnbench" check --case "b=2147483647 hq=2147483647 n=2147483647 d=2147483647"
expect "cli: case too big for memory" 2 "over the cap" -- "$attnbench" check --case "n=1000000 d=4096"
expect "cli: case too slow to check" 2 "check runs every implementation on all of it" -- "$attnbench" check --case "n=200000 d=64"
expect "bench: over memory cap runs on" 0 "" -- "$attnbench" bench --impl blocked --seq 8,70000 --heads 1 --threads 1 --no-ceiling --mem-cap 0.001 --out mem.csv
if grep -q ',over_memory,' mem.csv; then
  passed=$((passed + 1)); echo "| bench: case over --mem-cap | 0 | row status over_memory: $(grep -o 'needs [^,]*' mem.csv | head -n 1) |"
else
  failed=$((failed + 1)); echo "FAILED: no over_memory row in mem.csv"
fi
expect "cli: unknown impl" 2 "unknown implementation 'nope' (have: naive" -- "$attnbench" check --impl nope
expect "cli: unknown option" 2 "unknown option '--frobnicate'" -- "$attnbench" bench --frobnicate
expect "cli: unknown command" 2 "unknown command 'chek'" -- "$attnbench" chek
expect "cli: bad scale" 2 "scale=abc" -- "$attnbench" check --case "scale=abc"
expect "cli: reps too many" 2 "--reps 5000: at most 1000" -- "$attnbench" bench --reps 5000
expect "cli: min-time negative" 2 "--min-time -1: expected a positive number" -- "$attnbench" bench --min-time -1
suite stale.suite 'n=4 d=8\n'
expect "golden: set does not match the suite" 2 "golden set is stale" -- "$attnbench" check --golden "$golden" --suite ./stale.suite
# limits (issue 11): thread caps, float32 overflow, window bounds, suite folders, fields set twice
expect "cli: check threads over the cap" 2 "--threads 100000: at most 1024 threads" -- "$attnbench" check --impl omp --case "n=4 d=8" --threads 100000
expect "cli: run threads over the cap" 2 "--threads 100000: at most" -- "$attnbench" run --impl omp --q good.npy --k good.npy --v good.npy --out out.npy --threads 100000
expect "cli: bench threads over the cap" 2 "--threads 100000: at most" -- "$attnbench" bench --impl omp --seq 8 --threads 1,100000
expect "cli: scale overflows float32" 2 "scale=3.4e+38: scores can reach" -- "$attnbench" check --case "scale=3.4e38"
expect "run: scale overflows float32" 2 "float32 problem itself overflows" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out out.npy --scale 3.4e38
"$python" -c "import numpy as np; np.save('big.npy', np.full((1, 1, 4, 8), 1e19, np.float32))"
expect "run: inputs overflow float32" 2 "q.k can reach" -- "$attnbench" run --impl naive --q big.npy --k big.npy --v good.npy --out out.npy
expect "cli: window bound too large" 2 "left bound 99999999999 is too large (at most 2147483648" -- "$attnbench" check --case "window=99999999999:0"
mkdir -p folder.suite; expect "suite: path is a folder" 2 "folder.suite: is a directory" -- "$attnbench" check --suite ./folder.suite
suite conflict.suite 'n=4\ncausal=1 window=2:2\n'; expect "suite: conflicting keys on a line" 2 "conflict.suite:2: window=2:2 conflicts with causal=1" -- "$attnbench" check --suite ./conflict.suite
expect "cli: key repeated in a case" 2 "n=5 conflicts with n=3" -- "$attnbench" check --case "n=3 n=5"
expect "cli: alias and its key in a case" 2 "hq=4 conflicts with h=2" -- "$attnbench" check --case "h=2 hq=4"
# outputs (issue 11): output paths that are folders, missing or empty; what a run
# verifies; dtype messages; golden sets shorter than their suite; empty and oversized values
mkdir -p outdir
expect "run: --out is a folder" 2 "outdir: is a folder" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out outdir
expect "run: --out in a missing folder" 2 "nodir/o.npy: the folder nodir does not exist" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out nodir/o.npy
expect "run: --out empty" 2 "empty output path" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out ""
expect "run: --lse is a folder" 2 "--lse: outdir: is a folder" -- "$attnbench" run --impl naive --q good.npy --k good.npy --v good.npy --out o.npy --lse outdir
expect "check: --csv is a folder" 2 "outdir: is a folder" -- "$attnbench" check --impl naive --case "n=4 d=8" --csv outdir
expect "check: --csv in a missing folder" 2 "the folder nodir does not exist" -- "$attnbench" check --impl naive --case "n=4 d=8" --csv nodir/r.csv
expect "bench: --out empty" 2 "empty output path" -- "$attnbench" bench --impl naive --seq 8 --out ""
expect "bench: --out is a folder" 2 "outdir: is a folder" -- "$attnbench" bench --impl naive --seq 8 --out outdir
expect "npy: input is a folder" 2 "outdir: is a directory" -- run_with outdir
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
  cp good.npy secret.npy && chmod 600 secret.npy && chmod 755 .
  expect "npy: unreadable input" 2 "secret.npy: cannot open: Permission denied" -- setpriv --reuid=65534 --regid=65534 --clear-groups "$attnbench" run --impl naive --q secret.npy --k good.npy --v good.npy --out /dev/null
fi
expect "npy: dtype message names the input types" 2 "int.npy: unsupported dtype '<i4' (only '<f4' (float32), '<f2' (float16) and '<u2' (bfloat16 bits))" -- run_with int.npy
expect "check: nothing verified (all SKIPPED)" 2 "check verified nothing" -- "$attnbench" check --impl blas --layout bshd --case "n=4 d=8"
expect "bench: nothing measured (no ok row)" 2 "bench measured nothing" -- "$attnbench" bench --impl blas --layout bshd --seq 8 --heads 1 --threads 1 --reps 3 --min-time 0.001 --no-ceiling --out skipped.csv
cp "$golden/../../conformance.suite" longer.suite && printf 'n=5 d=8 seed=77\n' >>longer.suite
expect "golden: suite longer than its golden set" 2 "case(s) but the suite ./longer.suite has" -- "$attnbench" check --impl naive --quiet --golden "$golden" --suite ./longer.suite
expect "cli: empty --case" 2 "--case '': empty case" -- "$attnbench" check --case ""
expect "cli: blank --case" 2 "empty case" -- "$attnbench" check --case "  "
suite thousand.suite 'n=1,2,3,4,5,6,7,8,9,10 hq=1,2,3,4,5,6,7,8,9,10 d=1,2,3,4,5,6,7,8,9,10\n'
expect "cli: --seed past the case cap" 2 "--seed: 1001 seeds x 1000 cases" -- timeout 120 "$attnbench" check --suite ./thousand.suite --seed "$(seq -s, 1 1001)"
expect "cli: --plugin before the command" 2 "nope.so" -- "$attnbench" --plugin ./nope.so check
expect "cli: --plugin and no command" 2 "--plugin given but no command" -- "$attnbench" --plugin ./nope.so
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
