#!/usr/bin/env bash
# Ctrl-C ends workers within a second and still leaves a valid report. A plugin whose
# forward never returns (hostile_hang, --timeout 0 so that only the signal can end it):
#   1. bench, SIGINT and SIGTERM while the worker hangs in forward: bench exits with
#      128 + signal within LIMIT s, the report holds the header and the finished naive row
#      only (complete rows, no row for the interrupted measurement), the worker is gone;
#   2. check (no handler: attnbench dies of SIGINT): the worker is gone within LIMIT s
#      (PR_SET_PDEATHSIG).
#
#   interrupt_worker.sh ATTNBENCH HANG_LIB WORK
set -uo pipefail
attnbench=$1 hang_lib=$2 work=$3
limit=1.5 # seconds from the signal to the exit (bench) or to the worker's end (check)
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# What a scenario started (attnbench, then its worker) is ended before the next one and on
# the way out, whatever happened; the list is emptied once they are reaped, so that no pid
# that may since have been reused is ever signalled.
started_pids=()
end_started() {
  local p
  for p in "${started_pids[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null; done
  [ ${#started_pids[@]} -eq 0 ] || wait "${started_pids[0]}" 2>/dev/null
  started_pids=()
  return 0
}
trap end_started EXIT

# alive PID: the process exists and has not yet died (a zombie counts as dead).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*") "}
  [ "${stat%% *}" != Z ]
}
# workers_of PID: the pids of the `attnbench __worker` children of PID.
workers_of() {
  local dir stat rest
  for dir in /proc/[0-9]*; do
    stat=$(cat "$dir/stat" 2>/dev/null) || continue
    rest=${stat##*") "} # state ppid ...
    rest=${rest#* }
    [ "${rest%% *}" = "$1" ] || continue
    tr '\0' ' ' <"$dir/cmdline" 2>/dev/null | grep -q ' __worker ' && echo "${dir#/proc/}"
  done
  return 0
}
# sleeping_in_forward WPID: the worker's main thread sits in the hanging forward's
# nanosleep. Where /proc/PID/syscall cannot tell, half a second in the worker must do.
case "$(uname -m)" in
  x86_64) sleep_calls=" 35 230 " ;;
  aarch64) sleep_calls=" 101 115 " ;;
  *) sleep_calls="" ;;
esac
sleeping_in_forward() {
  local call
  if [ -n "$sleep_calls" ] && call=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) &&
    [ -n "$call" ]; then
    case "$sleep_calls" in *" $call "*) return 0 ;; *) return 1 ;; esac
  fi
  sleep 0.5
}
now() { echo "$EPOCHREALTIME"; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
within_limit() { awk -v t="$1" -v l="$limit" 'BEGIN { exit !(t <= l) }'; }
# ignores PID SIGNUM: the process ignores the signal (then the test would prove nothing).
ignores() {
  local mask
  mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$mask" ] && (((0x$mask >> ($2 - 1)) & 1))
}
# launch COMMAND...: as a terminal's foreground job would start it, SIGINT and SIGTERM at
# their defaults (a script's background job may start with SIGINT ignored, and `ignores`
# refuses to go on then). The pid is that of COMMAND itself (exec).
if env --default-signal=INT,TERM true 2>/dev/null; then
  launch() { exec env --default-signal=INT,TERM "$@"; }
else
  launch() {
    exec "$python" -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$@"
  }
fi
# report_rows FILE: checks RFC 4180 with complete rows only (every row with the header's
# field count) and prints one line "impl seq_q status" per row.
report_rows() {
  "$python" - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows, "empty file"
header = rows[0]
bad = [i for i, r in enumerate(rows) if len(r) != len(header)]
assert not bad, f"rows {bad} do not have the header's {len(header)} fields"
for name in ("impl", "seq_q", "status"):
    assert name in header, f"no column {name} in the header"
for r in rows[1:]:
    print(r[header.index("impl")], r[header.index("seq_q")], r[header.index("status")])
PY
}
# wait_for_hang PID [REPORT]: waits (60 s at most) until PID has a worker that hangs in forward
# and, for bench, until REPORT holds the first case's naive row; sets worker.
wait_for_hang() {
  local pid=$1 report=${2:-} deadline=$((SECONDS + 60))
  worker="" all_workers=""
  while [ $SECONDS -lt $deadline ]; do
    alive "$pid" || return 1
    if [ -z "$report" ] || grep -q ',naive,' "$report" 2>/dev/null; then
      # bench may also run a worker of the built-ins (a first call bounded by --budget)
      all_workers=$(workers_of "$pid")
      for candidate in $all_workers; do
        if sleeping_in_forward "$candidate"; then
          worker=$candidate
          return 0
        fi
      done
    fi
    sleep 0.02
  done
  return 1
}
# wait_gone PID: polls (10 s at most) until PID has died; sets took (seconds since $t0).
wait_gone() {
  local deadline=$((SECONDS + 10))
  while alive "$1" && [ $SECONDS -lt $deadline ]; do sleep 0.01; done
  took=$(seconds_since "$t0")
  ! alive "$1"
}

# 1. bench, interrupted while the worker hangs in the first case's hostile measurement.
bench_interrupted() {
  local signal=$1 signum expected out log pid before status rows problems leftovers
  signum=$(kill -l "$signal")
  expected=$((128 + signum))
  out=$work/bench-$signal.csv log=$work/bench-$signal
  (launch "$attnbench" bench --plugin "$hang_lib" --impl naive,hostile --seq 16,32 --heads 1 \
    --threads 1 --reps 3 --min-time 0.001 --no-ceiling --timeout 0 --out "$out") \
    >"$log.out" 2>"$log.err" &
  pid=$!
  started_pids+=("$pid")
  if ! wait_for_hang "$pid" "$out"; then
    bad "bench SIG$signal: never reached the hanging hostile forward after the naive row" \
      "(worker '${worker:-none}'; report: $(head -c 300 "$out" 2>/dev/null); stderr: $(cat "$log.err"))"
    return
  fi
  started_pids+=("$worker")
  before=$(report_rows "$out" 2>&1)
  if ignores "$pid" "$signum"; then
    bad "bench SIG$signal: the bench process ignores SIG$signal, the test would prove nothing"
    return
  fi
  t0=$(now)
  kill "-$signal" "$pid"
  if ! wait_gone "$pid"; then
    bad "bench SIG$signal: still running ${took} s after the signal (the worker $worker hangs)"
    return
  fi
  wait "$pid"
  status=$?
  started_pids=("$worker") # attnbench is reaped: only the worker may be left to end
  echo "bench SIG$signal: exit $status ${took} s after the signal (worker $worker)"
  problems=()
  [ "$status" -eq "$expected" ] || problems+=("exit status $status, not $expected")
  within_limit "$took" || problems+=("exit took $took s, more than $limit s")
  if alive "$worker"; then
    problems+=("the worker $worker is still alive after bench exited")
  else
    started_pids=()
  fi
  for other in $all_workers; do
    alive "$other" && problems+=("the worker $other is still alive after bench exited")
  done
  [ -z "$(workers_of "$pid")" ] || problems+=("workers left: $(workers_of "$pid")")
  if rows=$(report_rows "$out" 2>&1); then
    [ "$rows" = "naive 16 ok" ] ||
      problems+=("the report holds '$(tr '\n' ';' <<<"$rows")', not the one naive row 'naive 16 ok'")
    grep -q '^hostile ' <<<"$rows" && problems+=("a row for the interrupted hostile measurement")
  else
    problems+=("the report is not a valid CSV: $rows")
  fi
  [ "$before" = "naive 16 ok" ] || problems+=("before the signal the report held '$before'")
  leftovers=("$work"/*.tmp)
  [ -e "${leftovers[0]}" ] && problems+=("a temporary file is left: ${leftovers[*]}")
  grep -q "interrupted by signal $signum" "$log.err" ||
    problems+=("stderr does not say 'interrupted by signal $signum': $(cat "$log.err")")
  if [ ${#problems[@]} -eq 0 ]; then
    ok "bench SIG$signal: exit $status in $took s (limit $limit s), worker $worker gone," \
      "report valid with the naive row only"
  else
    bad "bench SIG$signal: $(printf '%s; ' "${problems[@]}")"
  fi
}
for signal in INT TERM; do
  bench_interrupted "$signal"
  end_started
done

# 2. check has no handler: attnbench dies of SIGINT, and its worker with it.
log=$work/check
(launch "$attnbench" check --plugin "$hang_lib" --impl hostile \
  --case 'b=1 hq=1 hkv=1 nq=4 nkv=4 d=8' --timeout 0) >"$log.out" 2>"$log.err" &
pid=$!
started_pids+=("$pid")
if ! wait_for_hang "$pid"; then
  bad "check SIGINT: never reached the hanging forward (worker '${worker:-none}';" \
    "output: $(cat "$log.out" "$log.err"))"
elif ignores "$pid" 2; then
  bad "check SIGINT: the check process ignores SIGINT, the test would prove nothing"
else
  started_pids+=("$worker")
  t0=$(now)
  kill -INT "$pid"
  if ! wait_gone "$worker"; then
    bad "check SIGINT: the worker $worker is still alive ${took} s after the signal"
  else
    worker_took=$took
    status="still running"
    if wait_gone "$pid"; then
      wait "$pid"
      status=$?
      started_pids=() # the worker is gone and attnbench is reaped
    fi
    echo "check SIGINT: worker $worker gone ${worker_took} s after the signal, check exit $status after ${took} s"
    problems=()
    [ "$status" = 130 ] || problems+=("check's exit status $status, not 130 (killed by SIGINT)")
    within_limit "$worker_took" || problems+=("the worker took $worker_took s, more than $limit s")
    if [ ${#problems[@]} -eq 0 ]; then
      ok "check SIGINT: worker $worker gone in $worker_took s (limit $limit s), check died of SIGINT"
    else
      bad "check SIGINT: $(printf '%s; ' "${problems[@]}")"
    fi
  fi
fi

end_started
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
