#!/usr/bin/env bash
# A developer outside the repository: install attnbench, build a plugin against the
# installed header with one gcc line found through pkg-config, check and bench it.
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cp "$source" "$work/mine.c"
cd "$work"
gcc -O2 -shared -fPIC $(pkg-config --cflags attnbench) mine.c -o libmine.so -lm
echo "built libmine.so with: gcc -O2 -shared -fPIC $(pkg-config --cflags attnbench) mine.c -o libmine.so -lm"
"$work/prefix/bin/attnbench" check --plugin ./libmine.so --impl twopass --quiet
"$work/prefix/bin/attnbench" bench --plugin ./libmine.so --impl twopass,naive --seq 32 --heads 1 \
  --threads 1 --reps 3 --min-time 0.001 --no-ceiling --out "$work/bench.csv" >/dev/null
grep -q '^attnbench-bench-1,.*,twopass,' "$work/bench.csv"
echo "twopass is in the report beside the built-ins: $(grep -c ',ok,' "$work/bench.csv") rows ok"
