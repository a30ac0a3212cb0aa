#!/usr/bin/env bash
# End-to-end test of the vq `vitest` shim with a real vitest.
#
# Usage: test_real_vitest.sh SHIM_DIR FIXTURE_DIR
#   SHIM_DIR     folder holding the shim executable `vitest` (put first on PATH)
#   FIXTURE_DIR  a fixture project (fixture-v3, fixture-v5) installed by setup.sh
#
# Each check uses its own fresh queue directory. Every vitest is started as a
# plain `vitest run` in FIXTURE_DIR with PATH="$SHIM_DIR:$PATH", so it resolves
# to the shim, which finds the real vitest in FIXTURE_DIR/node_modules/.bin.
# The fixture's test files record "<run> <file> <pid> <ppid> start|end <ms>"
# into $VQ_E2E_RECORD; the figures below are computed from those records.
#
#   a. VQ_MAX_PROCESSES=1, two concurrent runs: both exit 0, each runs all
#      files, and the two runs' intervals (first start .. last end) do not
#      overlap; one of them said it waited.
#   b. One run with the shim (forcing on): test-file intervals never overlap
#      (max file concurrency 1).
#   c. Control, VQ_SINGLE_WORKER=0: the same project runs files concurrently
#      (max file concurrency > 1), proving that check b can fail.
#   d. The queue log of check a has an "admitted" line for each run.
#   e. Transparency: the vitest main process (parent of the workers) has the
#      PID that was launched, i.e. the shim exec'd vitest in place.
#   f. VQ_MAX_PROCESSES=1 and a holder: `vitest run --version` (which runs the
#      suite) waits for the slot and runs one file at a time; `vitest --version`
#      (which only prints) prints at once, silently, while the slot is held.
#   b also checks that vitest's own output carries no isolate hint (vitest 5
#   prints one when more workers were spawned than ran at once).
#
# Exit 0 when every check passes. Environment knobs: VQ_E2E_SLEEP_MS (how long
# each test file sleeps, default 800), VQ_E2E_KEEP=1 (keep the temp folder),
# VQ_E2E_RUN_TIMEOUT (seconds allowed for one vitest run, default 120).
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=records.sh
source "$E2E_DIR/records.sh"
PROG=$(basename "$0")

if [[ $# -ne 2 ]]; then
  echo "usage: $PROG SHIM_DIR FIXTURE_DIR" >&2
  exit 2
fi
SHIM_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "$PROG: FAIL: shim dir $1 does not exist (build the vq_shim target)" >&2; exit 1; }
FIXTURE_DIR=$(cd "$2" 2>/dev/null && pwd) || { echo "$PROG: FAIL: fixture dir $2 does not exist" >&2; exit 1; }
FIXTURE=$(basename "$FIXTURE_DIR")

if [[ ! -x $SHIM_DIR/vitest ]]; then
  echo "$PROG: FAIL: no executable shim at $SHIM_DIR/vitest (build the vq_shim target)" >&2
  exit 1
fi
if [[ ! -e $FIXTURE_DIR/node_modules/.bin/vitest ]]; then
  echo "$PROG: FAIL: $FIXTURE has no node_modules/.bin/vitest: run tests/e2e/setup.sh" >&2
  exit 1
fi

# setup.sh installs a pinned Node.js here when the system one is too old.
if [[ -x $E2E_DIR/tools-node/node_modules/.bin/node ]]; then
  PATH=$E2E_DIR/tools-node/node_modules/.bin:$PATH
fi
command -v node >/dev/null 2>&1 || { echo "$PROG: FAIL: node not found on PATH" >&2; exit 1; }

# This script's own knobs, read before the environment is cleaned below.
SLEEP_MS=${VQ_E2E_SLEEP_MS:-800}
RUN_TIMEOUT=${VQ_E2E_RUN_TIMEOUT:-120}
KEEP=${VQ_E2E_KEEP:-0}

# A clean environment: nothing from an outer vq (queue, limits, agent id, the
# nested-run marker) or an outer vitest (worker limits) may leak in.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(VQ_|VITEST)' || true)
unset FORCE_COLOR
export NO_COLOR=1

export VQ_E2E_SLEEP_MS=$SLEEP_MS
NFILES=$(find "$FIXTURE_DIR/test" -name '*.test.mjs' | wc -l)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vq-e2e-$FIXTURE.XXXXXX")
cleanup() {
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "  PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL: $*"; }
info() { echo "        $*"; }

# Show the end of a run's output (on failure).
show_run() {
  local d=$1 name=$2
  echo "    --- run $name: stdout (tail) ---"; tail -n 15 "$d/$name.out" | sed 's/^/    | /'
  echo "    --- run $name: stderr (tail) ---"; tail -n 15 "$d/$name.err" | sed 's/^/    | /'
}
show_file() {
  echo "    --- $1 ---"
  if [[ -f $1 ]]; then tail -n 30 "$1" | sed 's/^/    | /'; else echo "    | (missing)"; fi
}

# start_vitest DIR NAME "ARGS" [VAR=VALUE ...]: start `vitest ARGS` (resolved
# through PATH; ARGS split on spaces) in the fixture, in the background. Writes
# DIR/NAME.{out,err,pid} and, when it ends, DIR/NAME.rc. The .pid file holds
# the PID that execs vitest.
start_vitest() {
  local d=$1 name=$2 args=$3; shift 3
  (
    cd "$FIXTURE_DIR" || exit 99
    export PATH="$SHIM_DIR:$PATH" VQ_E2E_RECORD="$d/records" VQ_E2E_RUN="$name"
    local kv
    for kv in "$@"; do export "${kv?}"; done
    # shellcheck disable=SC2086 # ARGS is a list of words on purpose
    timeout -k 5 "$RUN_TIMEOUT" sh -c 'echo $$ >"$1"; shift; exec vitest "$@"' sh "$d/$name.pid" $args \
      </dev/null >"$d/$name.out" 2>"$d/$name.err"
    echo $? >"$d/$name.rc"
  ) &
}

# start_run DIR NAME [VAR=VALUE ...]: start_vitest with `vitest run`.
start_run() { local d=$1 name=$2; shift 2; start_vitest "$d" "$name" run "$@"; }

# wait_runs DIR NAME...: wait for the runs (all background jobs) to end.
wait_runs() {
  wait
  local d=$1 n; shift
  for n in "$@"; do [[ -f $d/$n.rc ]] || echo 98 >"$d/$n.rc"; done
}

# "first-start last-end" of one run (all its files).
run_span() {
  records_of "$1" "$2" | awk 'BEGIN { s = ""; e = "" }
    $2 == "start" && (s == "" || $3 < s) { s = $3 }
    $2 == "end" && (e == "" || $3 > e) { e = $3 }
    END { print (s == "" ? "none" : s), (e == "" ? "none" : e) }'
}

# Distinct parent PIDs of a run's test files (the vitest main process).
run_ppids() { awk -v r="$2" '$1 == r { print $4 }' "$1/records" 2>/dev/null | sort -u | tr '\n' ' '; }

check_rc() {
  local d=$1 name=$2 rc
  rc=$(cat "$d/$name.rc")
  if [[ $rc == 0 ]]; then return 0; fi
  fail "run $name exited $rc (expected 0)$([[ $rc == 124 ]] && echo ", timed out after ${RUN_TIMEOUT}s")"
  show_run "$d" "$name"
  return 1
}

check_all_files() {
  local d=$1 name=$2 n
  n=$(files_done "$d" "$name")
  if [[ $n == "$NFILES" ]]; then return 0; fi
  fail "run $name recorded $n of $NFILES test files"
  show_file "$d/records"
  return 1
}

echo "== vq e2e with real vitest: $FIXTURE"
info "shim:    $SHIM_DIR/vitest"
info "vitest:  $(cd "$FIXTURE_DIR" && PATH="$SHIM_DIR:$PATH" command -v vitest) -> real $(cd "$FIXTURE_DIR" && node_modules/.bin/vitest --version 2>&1 | head -n 1)"
info "node:    $(node --version) ($(command -v node)); $NFILES test files sleeping ${SLEEP_MS} ms each; temp $WORK"
if [[ $(cd "$FIXTURE_DIR" && PATH="$SHIM_DIR:$PATH" command -v vitest) != "$SHIM_DIR/vitest" ]]; then
  fail "plain 'vitest' on PATH=\"$SHIM_DIR:\$PATH\" does not resolve to the shim"
fi

# ---------------------------------------------------------------------------
echo "-- check a: VQ_MAX_PROCESSES=1, two concurrent runs are serialised"
A=$WORK/a; mkdir -p "$A"
QA=$A/q
t0=$(date +%s%3N)
start_run "$A" run1 VQ_QUEUE_DIR="$QA" VQ_MAX_PROCESSES=1 VQ_QUEUE_TIMEOUT="$RUN_TIMEOUT" VQ_AGENT_ID=e2e-run1
start_run "$A" run2 VQ_QUEUE_DIR="$QA" VQ_MAX_PROCESSES=1 VQ_QUEUE_TIMEOUT="$RUN_TIMEOUT" VQ_AGENT_ID=e2e-run2
wait_runs "$A" run1 run2
t1=$(date +%s%3N)
info "both runs ended after $((t1 - t0)) ms; exit codes run1=$(cat "$A/run1.rc") run2=$(cat "$A/run2.rc")"
ok=1
check_rc "$A" run1 || ok=0
check_rc "$A" run2 || ok=0
check_all_files "$A" run1 || ok=0
check_all_files "$A" run2 || ok=0
if [[ $ok == 1 ]]; then
  read -r s1 e1 <<<"$(run_span "$A" run1)"
  read -r s2 e2 <<<"$(run_span "$A" run2)"
  info "run1 files: $s1 .. $e1 ($((e1 - s1)) ms); run2 files: $s2 .. $e2 ($((e2 - s2)) ms)"
  if ((e1 <= s2)); then
    pass "runs serialised: run1 then run2, gap $((s2 - e1)) ms, overlap 0 ms"
  elif ((e2 <= s1)); then
    pass "runs serialised: run2 then run1, gap $((s1 - e2)) ms, overlap 0 ms"
  else
    lo=$((s1 > s2 ? s1 : s2)); hi=$((e1 < e2 ? e1 : e2))
    fail "runs overlapped by $((hi - lo)) ms (limit 1 should serialise them)"
    show_file "$A/records"; show_run "$A" run1; show_run "$A" run2
  fi
  # The later run must have waited, and said so on stderr.
  waited=$(grep -l 'vq:.*wait' "$A/run1.err" "$A/run2.err" 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
  if [[ -n $waited ]]; then
    pass "a waiting run said so on stderr: $waited"
    grep -h '^vq:' "$A/run1.err" "$A/run2.err" | sed 's/^/        stderr: /'
  else
    fail "neither run printed 'vq: waiting' on stderr"
    show_run "$A" run1; show_run "$A" run2
  fi
  info "max file concurrency within runs (forcing on): run1=$(file_concurrency "$A" run1) run2=$(file_concurrency "$A" run2)"
fi

# ---------------------------------------------------------------------------
echo "-- check b: with the shim, one run uses one worker at a time"
B=$WORK/b; mkdir -p "$B"
start_run "$B" solo VQ_QUEUE_DIR="$B/q"
wait_runs "$B" solo
if check_rc "$B" solo && check_all_files "$B" solo; then
  mc=$(file_concurrency "$B" solo)
  read -r s e <<<"$(run_span "$B" solo)"
  if [[ $mc == 1 ]]; then
    pass "max file concurrency 1 (files ran one after another, $NFILES files in $((e - s)) ms)"
  else
    fail "max file concurrency $mc (expected 1: the shim should force one worker)"
    show_file "$B/records"
  fi
  if grep -q 'vq:' "$B/solo.err"; then
    fail "the shim printed on stderr although no wait happened"
    show_run "$B" solo
  fi
  # vitest 5 hints after a run that isolate: false would be faster when it spawned more
  # workers than ran at once, which the forced single worker would make true of every run.
  if grep -qE 'workers spawned|faster with isolate' "$B/solo.out" "$B/solo.err"; then
    fail "vitest printed its isolate hint, set off by vq's one worker"
    grep -hE 'workers spawned|faster with isolate' "$B/solo.out" "$B/solo.err" | sed 's/^/    | /'
  else
    pass "no isolate hint in the output (nothing of vq's forcing shows)"
  fi
fi

# ---------------------------------------------------------------------------
echo "-- check c: control, VQ_SINGLE_WORKER=0 leaves vitest's own parallelism"
C=$WORK/c; mkdir -p "$C"
start_run "$C" control VQ_QUEUE_DIR="$C/q" VQ_SINGLE_WORKER=0
wait_runs "$C" control
if check_rc "$C" control && check_all_files "$C" control; then
  mc=$(file_concurrency "$C" control)
  read -r s e <<<"$(run_span "$C" control)"
  if ((mc > 1)); then
    pass "max file concurrency $mc without forcing ($NFILES files in $((e - s)) ms), so check b can fail"
  else
    fail "max file concurrency $mc without forcing (expected > 1: the fixture config asks for 4 workers; machine too loaded, or forcing not switched off)"
    show_file "$C/records"
  fi
fi

# ---------------------------------------------------------------------------
echo "-- check d: the queue log of check a has an 'admitted' line for each run"
LOG=$QA/vitest-queue.log
if [[ -f $LOG ]]; then
  n=$(grep -ci 'admitted' "$LOG")
  info "$LOG: $(wc -l <"$LOG") lines, $n with 'admitted'"
  if ((n >= 2)); then
    pass "$n 'admitted' lines for the 2 runs"
  else
    fail "$n 'admitted' lines (expected at least 2)"
    show_file "$LOG"
  fi
  for r in run1 run2; do
    p=$(cat "$A/$r.pid" 2>/dev/null)
    if [[ -n $p ]] && grep -i 'admitted' "$LOG" | grep -qw -- "$p"; then
      info "$r (pid $p): admitted line names its pid"
    else
      info "$r (pid $p): no admitted line names this pid (log format may not carry it)"
    fi
  done
else
  fail "no queue log at $LOG"
  ls -la "$QA" 2>&1 | sed 's/^/    | /'
fi
for d in "$B/q" "$C/q"; do
  if ! grep -qi 'admitted' "$d/vitest-queue.log" 2>/dev/null; then
    fail "no 'admitted' line in $d/vitest-queue.log (did the run go through the shim?)"
  fi
done

# ---------------------------------------------------------------------------
echo "-- check f: with the only slot held, 'vitest run --version' waits and runs one worker; 'vitest --version' only prints, at once"
F=$WORK/f; mkdir -p "$F"
FQ=(VQ_QUEUE_DIR="$F/q" VQ_MAX_PROCESSES=1 VQ_QUEUE_TIMEOUT="$RUN_TIMEOUT")
start_vitest "$F" holder run "${FQ[@]}" VQ_E2E_SLEEP_MS=1500
for _ in $(seq 600); do [[ -n $(records_of "$F" holder) || -f $F/holder.rc ]] && break; sleep 0.1; done
start_vitest "$F" runversion "run --version" "${FQ[@]}"
start_vitest "$F" version --version "${FQ[@]}"
for _ in $(seq 600); do [[ -f $F/version.rc ]] && break; sleep 0.1; done
holder_done_first=0; [[ -f $F/holder.rc ]] && holder_done_first=1
wait_runs "$F" holder runversion version
if check_rc "$F" version && check_rc "$F" holder && check_rc "$F" runversion && check_all_files "$F" runversion; then
  if grep -q '^vitest/[0-9]' "$F/version.out" && [[ $holder_done_first == 0 ]] && ! grep -q 'vq:' "$F/version.err" &&
    [[ -z $(records_of "$F" version) ]]; then
    pass "'vitest --version' printed $(head -n 1 "$F/version.out") while the slot was held, silently"
  else
    fail "'vitest --version' should print the version at once, without waiting (holder ended first: $holder_done_first)"
    show_run "$F" version
  fi
  read -r hs he <<<"$(run_span "$F" holder)"
  read -r rs re <<<"$(run_span "$F" runversion)"
  mc=$(file_concurrency "$F" runversion)
  if ((rs >= he)) && [[ $mc == 1 ]] && grep -q 'vq:.*wait' "$F/runversion.err"; then
    pass "'vitest run --version' ran its $NFILES files after the holder (gap $((rs - he)) ms), one at a time"
  else
    fail "'vitest run --version': files $rs..$re, holder $hs..$he, file concurrency $mc (expected: after the holder, 1, and a waiting line)"
    show_file "$F/records"; show_run "$F" runversion
  fi
fi

# ---------------------------------------------------------------------------
echo "-- check e: the shim exec'd vitest in place (PID unchanged)"
for r in "$A/run1" "$A/run2" "$B/solo" "$C/control"; do
  d=$(dirname "$r"); n=$(basename "$r")
  p=$(cat "$r.pid" 2>/dev/null); pp=$(run_ppids "$d" "$n")
  if [[ -n $p && $pp == "$p " ]]; then
    pass "$n: launched pid $p is the workers' parent"
  else
    fail "$n: launched pid '$p', workers' parent pid(s) '$pp' (vitest should run under the launched pid)"
  fi
done

echo "== $FIXTURE: $PASSED passed, $FAILED failed"
[[ $FAILED == 0 ]]
