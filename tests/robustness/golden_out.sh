#!/usr/bin/env bash
# `golden --out DIR` replaces only what is recognisably a golden set written by attnbench
# (its marker file ATTNBENCH_GOLDEN_SET, or the older layout with case-0001/SHA256SUMS,
# and nothing else); a file, a link, '.', or a folder holding anything else is refused
# with exit status 2 and left as it was. A trailing slash is fine. An interrupted run
# leaves no DIR.partial-PID; one left by a killed run is removed by the next run.
set -uo pipefail
attnbench=$1 work=$2 repo=$3
small=$repo/tests/data/small.suite
# the folders tried live in $area (compared before and after), logs in $logs
area=$work/area logs=$work/logs
rm -rf "$work" && mkdir -p "$area" "$logs" && cd "$area" || exit 1
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }
digest() { (cd "$1" && find . -exec sh -c 'for f; do if [ -f "$f" ]; then sha256sum "$f"; else echo "$f"; fi; done' _ {} + | sort | sha256sum); }
leftovers() { ls -a "$area" | grep -E '\.(partial|old)-[0-9]+$' || true; }
golden() { "$attnbench" golden --suite "$small" "$@"; }

# refuse LABEL PATH: golden --out PATH must exit 2 and leave PATH (and its folder) as it was
refuse() {
  local label=$1 path=$2 want=$3
  local before after status
  before=$(digest "$area")
  golden --out "$path" >/dev/null 2>"$logs/$label.err"; status=$?
  after=$(digest "$area")
  if [ "$status" -eq 2 ] && [ "$before" = "$after" ] && grep -qF -- "$want" "$logs/$label.err" &&
     [ -z "$(leftovers)" ]; then
    ok "$label: exit 2, untouched: $(head -c 200 "$logs/$label.err")"
  else
    bad "$label: exit $status (want 2), untouched=$([ "$before" = "$after" ] && echo yes || echo no)," \
        "leftovers='$(leftovers)', message: $(cat "$logs/$label.err")"
  fi
}

# 1. What is not a golden set is refused and kept.
mkdir mydata && echo "precious" >mydata/notes.txt
refuse "ordinary folder" mydata "not a golden set written by attnbench"
refuse "ordinary folder, trailing slash" mydata/ "not a golden set written by attnbench"
echo "precious" >afile
refuse "a file" afile "exists and is not a folder"
ln -s mydata alink
refuse "a symbolic link" alink "symbolic link"
refuse "dot" . "not '.'"
refuse "dot-dot" mydata/.. "not '..'"
refuse "root" / "name the folder of the set itself"
refuse "empty name" "" "--out is empty"
refuse "missing parent" nodir/set "nodir/set"
mkdir -p sub/inner && echo x >sub/inner/file && mkdir sub/case-0001
refuse "case folder without a set" sub "not a golden set written by attnbench"
(cd mydata && "$attnbench" golden --suite "$small" --out . >/dev/null 2>"$logs/dot-inside.err"); status=$?
[ "$status" -eq 2 ] && [ "$(ls -A mydata)" = "notes.txt" ] && ok "'.' from inside a folder: exit 2" ||
  bad "'.' from inside a folder: exit $status, $(ls -A mydata)"

# 2. A new folder given with a trailing slash is written, with the marker.
golden --out newset/ >/dev/null 2>"$logs/newset.err"; status=$?
[ "$status" -eq 0 ] && [ -f newset/ATTNBENCH_GOLDEN_SET ] && [ -f newset/case-0001/SHA256SUMS ] &&
  (cd newset/case-0001 && sha256sum -c --quiet SHA256SUMS) && [ -z "$(leftovers)" ] &&
  ok "new folder with trailing slash: exit 0, marker and checksums" ||
  bad "new folder with trailing slash: exit $status: $(cat "$logs/newset.err"), leftovers='$(leftovers)'"

# 3. A set written by attnbench is replaced (with or without the slash), an empty folder
#    is filled, a set without the marker (written before it) is recognised by its layout.
for path in newset newset/; do
  golden --out "$path" >/dev/null 2>"$logs/replace.err"; status=$?
  [ "$status" -eq 0 ] && [ -f newset/ATTNBENCH_GOLDEN_SET ] && [ -z "$(leftovers)" ] &&
    ok "replace attnbench's set ($path): exit 0" || bad "replace ($path): exit $status: $(cat "$logs/replace.err")"
done
mkdir empty
golden --out empty >/dev/null 2>"$logs/empty.err"; status=$?
[ "$status" -eq 0 ] && [ -f empty/case-0001/SHA256SUMS ] && ok "empty folder: exit 0, filled" ||
  bad "empty folder: exit $status: $(cat "$logs/empty.err")"
cp -r newset legacy && rm legacy/ATTNBENCH_GOLDEN_SET
golden --out legacy >/dev/null 2>"$logs/legacy.err"; status=$?
[ "$status" -eq 0 ] && [ -f legacy/ATTNBENCH_GOLDEN_SET ] && [ -z "$(leftovers)" ] &&
  ok "set without marker (older layout): replaced" || bad "set without marker: exit $status: $(cat "$logs/legacy.err")"

# 4. A golden set the user put other files into is refused, whole.
cp -r newset withnotes && echo mine >withnotes/README
refuse "set with an extra top-level file" withnotes "withnotes/README"
rm withnotes/README && echo mine >withnotes/case-0001/mine.txt
refuse "set with an extra file in a case folder" withnotes "withnotes/case-0001/mine.txt"
rm -r withnotes
cp -r newset badmarker && echo "something else" >badmarker/ATTNBENCH_GOLDEN_SET
refuse "marker file with other contents" badmarker "not attnbench's marker"
rm -r badmarker

# 5. SIGINT and SIGTERM mid-run: exit 128+N, no DIR.partial-PID, the previous set intact.
slow=$logs/slow.suite
echo "n=192 d=64 h=4 seed=$(seq -s, 1 400)" >"$slow"
for signal in INT TERM; do
  before=$(digest newset)
  "$attnbench" golden --suite "$slow" --out newset >/dev/null 2>"$logs/sig-$signal.err" &
  pid=$!
  for _ in $(seq 1200); do [ -d "newset.partial-$pid/case-0002" ] && break; sleep 0.05; done
  seen=$([ -d "newset.partial-$pid/case-0002" ] && echo yes || echo no)
  kill -$signal $pid; wait $pid; status=$?
  want=$((128 + $(kill -l $signal)))
  [ "$seen" = yes ] && [ "$status" -eq "$want" ] && [ ! -e "newset.partial-$pid" ] &&
    [ "$before" = "$(digest newset)" ] &&
    ok "SIG$signal: exit $status, partial set removed, previous set intact" ||
    bad "SIG$signal: partial seen=$seen, exit $status (want $want), leftovers='$(leftovers)', $(cat "$logs/sig-$signal.err")"
done

# 6. SIGKILL cannot be caught: the partial set stays, and the next run removes it. A
#    partial folder of a live process, and one holding a file attnbench did not write, stay.
"$attnbench" golden --suite "$slow" --out newset >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1200); do [ -d "newset.partial-$pid/case-0002" ] && break; sleep 0.05; done
kill -KILL $pid; wait $pid 2>/dev/null
[ -d "newset.partial-$pid" ] && ok "SIGKILL leaves newset.partial-$pid (as it must)" ||
  bad "SIGKILL: no partial folder to clean up"
sleep 0 & dead=$!; wait $dead
mkdir -p "newset.partial-$dead/case-0001" && echo mine >"newset.partial-$dead/case-0001/mine.txt"
mkdir -p "newset.partial-$$/case-0001" && echo x >"newset.partial-$$/case-0001/q.npy"
mkdir -p "newset.old-$dead/case-0001" && echo x >"newset.old-$dead/case-0001/o.npy"
golden --out newset >/dev/null 2>"$logs/stale.err"; status=$?
[ "$status" -eq 0 ] && [ ! -e "newset.partial-$pid" ] && [ ! -e "newset.old-$dead" ] &&
  [ -f "newset.partial-$dead/case-0001/mine.txt" ] && [ -f "newset.partial-$$/case-0001/q.npy" ] &&
  ok "next run removed the killed run's leftovers, kept a live one's and foreign files" ||
  bad "stale cleanup: exit $status: $(cat "$logs/stale.err"); left: $(ls -a)"
rm -rf "newset.partial-$dead" "newset.partial-$$"

echo "golden --out: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
