#!/usr/bin/env bash
# Limits and rough edges of issue 11 that are not plain "exit 2 with a message" (those are
# in bad_inputs.sh): what must be accepted (a suite with a UTF-8 BOM, --threads at the
# cap, golden sets with older case ids), what case ids print, and list alignment.
set -uo pipefail
attnbench=$1 work=$2 long_plugin=$3
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# A suite starting with a UTF-8 byte-order mark is read (it was "unexpected byte 0xef").
printf '\xef\xbb\xbfn=3 d=8\n' > bom.suite
if out=$("$attnbench" check --impl naive --suite ./bom.suite --no-golden 2>&1) && [[ "$out" == *"3 passed, 0 failed"* ]]; then
  ok "suite with a UTF-8 BOM is read"
else
  bad "suite with a UTF-8 BOM: $out"
fi

# --threads at the cap is accepted, one past it refused (exit 2, naming the cap).
if "$attnbench" check --impl naive --case "n=3 d=8" --threads 1024 --no-golden >/dev/null 2>&1; then
  ok "--threads 1024 (the cap) is accepted"
else
  bad "--threads 1024 refused"
fi
cpus=$(getconf _NPROCESSORS_ONLN)
over=$((cpus > 1024 ? cpus + 1 : 1025))
out=$("$attnbench" check --impl naive --case "n=3 d=8" --threads $over 2>&1); status=$?
if [ $status -eq 2 ] && [[ "$out" == *"at most"* ]]; then ok "--threads $over refused: $out"; else bad "--threads $over: exit $status: $out"; fi

# Case ids print the shortest scale that reads back: scale=0.05, not 0.050000000000000003.
out=$("$attnbench" check --impl naive --case "n=3 d=8 scale=0.05" --no-golden 2>&1)
if [[ "$out" == *"scale=0.05 "* && "$out" != *"0.050000000000000003"* ]]; then
  ok "case id prints scale=0.05"
else
  bad "case id: $out"
fi

# A golden set written before that change (case.txt with scale=0.050000000000000003) still
# matches its suite.
printf 'n=3 d=8 scale=0.05\n' > scaled.suite
if "$attnbench" golden --suite ./scaled.suite --out old-golden >/dev/null 2>&1; then
  "$python" - old-golden/case-0001 <<'PY'
import hashlib, os, sys
d = sys.argv[1]
path = os.path.join(d, "case.txt")
text = open(path).read()
assert "scale=0.05 " in text, text
open(path, "w").write(text.replace("scale=0.05 ", "scale=0.050000000000000003 "))
sums = os.path.join(d, "SHA256SUMS")
lines = []
for line in open(sums):
    digest, name = line.rstrip("\n").split("  ", 1)
    if name == "case.txt":
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    lines.append(f"{digest}  {name}\n")
open(sums, "w").write("".join(lines))
PY
  out=$("$attnbench" check --impl naive --suite ./scaled.suite --golden old-golden 2>&1); status=$?
  if [ $status -eq 0 ]; then ok "an older golden id (scale=0.050000000000000003) still matches"; else bad "older golden id: exit $status: $out"; fi
else
  bad "golden --suite scaled.suite failed"
fi

# list aligns every implementation's lines on the longest name (a plugin's is 26 long).
out=$("$attnbench" list --plugin "$long_plugin" 2>&1)
if "$python" - "$out" <<'PY'
import sys
import re
lines = sys.argv[1].splitlines()
start = lines.index("implementations:") + 1
end = lines.index("", start)
block = lines[start:end]
detail = ("supports:", "types:", "plugin:")
names = [l for l in block if not l.lstrip().startswith(detail)]
others = [l for l in block if l.lstrip().startswith(detail)]
# the summary after each name starts in the column of every "supports:", "types:" and "plugin:"
columns = {len(l) - len(l.lstrip()) for l in others}
columns |= {re.match(r"  \S+ +", l).end() for l in names}
assert len(columns) == 1 and any("limits_workspace_too_large" in l for l in names), block
PY
then ok "list aligns long implementation names"; else bad "list alignment: $out"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
