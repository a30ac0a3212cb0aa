#!/usr/bin/env bash
# End-to-end test of libvq-preload.so: unmodified launchers (pnpm test, npm test,
# npx vitest run, yarn test) are caught by the preload alone and queued.
#
# Usage: test_preload_launchers.sh PRELOAD_LIB FIXTURE_V3 FIXTURE_V5
#   PRELOAD_LIB  the built libvq-preload.so; the shim must sit beside it, at
#                <dir of PRELOAD_LIB>/shims/vitest (that is where the library looks)
#   FIXTURE_V3   fixture-v3 (vitest 3.x, npm), installed by setup.sh
#   FIXTURE_V5   fixture-v5 (vitest 5.x, pnpm), installed by setup.sh
#
# The shim is NOT on PATH: every launch goes through the launcher's own PATH
# (node_modules/.bin first), so only the preload can route it to the shim.
# Each check uses its own fresh queue directory. The fixtures' test files
# record "<run> <file> <pid> <ppid> start|end <ms>" into $VQ_E2E_RECORD.
#
# Two independent observers count how many runs are in progress at once:
#   records  per run, first file start .. last file end; the maximum number of
#            such intervals that overlap.
#   /proc    a sampler (every 50 ms) counting vitest main processes of the
#            check: exe is node, script argument is vitest.mjs or .bin/vitest
#            (workers run tinypool/forks.js entry files, and a shim still
#            waiting has the shim as exe), with this check's VQ_E2E_RECORD in
#            /proc/PID/environ, not counting a child of such a process (forked,
#            not yet exec'd: it still shows vitest's cmdline); it also notes
#            which had VQ_HOLDER (the marker the shim sets when it execs an
#            admitted run).
#
#   1. pnpm test (fixture-v5), 8 concurrent, limit 2: all exit 0, both
#      observers see at most 2 runs at once, the /proc sampler saw all 8 (each
#      with VQ_HOLDER), 8 admitted lines, each run one file at a time.
#      Control: 4 concurrent pnpm test without LD_PRELOAD overlap > 2 on both
#      observers, so the observers can fail.
#   2. npm test (fixture-v3): as 1.
#   3. npx vitest run (fixture-v3): as 1.
#   4. yarn test (yarn 1.22, fixture-v3): as 1.
#   5. Nested, limit 1: a queued run whose test launches `npx vitest run
#      test/a.test.mjs` completes; the inner launch was redirected to the shim
#      and passed through (one admitted line only). Control: the same inner
#      launch without VQ_HOLDER waits and gives up (exit 75), so the check can
#      fail.
#   6. Transparency: a failing run (a filter matching nothing; a test made to
#      fail) exits with the same non-zero status with and without the preload.
#
# Exit 0 when every check passes. Knobs: VQ_E2E_SLEEP_MS (per test file,
# default 300), VQ_E2E_CONTROL_SLEEP_MS (control runs, default 3000),
# VQ_E2E_RUN_TIMEOUT (seconds for one launch including its wait, default 240),
# VQ_E2E_KEEP=1 (keep the temp folder).
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=records.sh
source "$E2E_DIR/records.sh"
PROG=$(basename "$0")

if [[ $# -ne 3 ]]; then
  echo "usage: $PROG PRELOAD_LIB FIXTURE_V3 FIXTURE_V5" >&2
  exit 2
fi
[[ -f $1 ]] || { echo "$PROG: FAIL: no preload library at $1 (build the vq_preload target)" >&2; exit 1; }
PRELOAD_LIB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SHIM=$(dirname "$PRELOAD_LIB")/shims/vitest
FIXTURE_V3=$(cd "$2" 2>/dev/null && pwd) || { echo "$PROG: FAIL: fixture dir $2 does not exist" >&2; exit 1; }
FIXTURE_V5=$(cd "$3" 2>/dev/null && pwd) || { echo "$PROG: FAIL: fixture dir $3 does not exist" >&2; exit 1; }

if [[ ! -x $SHIM ]]; then
  echo "$PROG: FAIL: no executable shim at $SHIM, where the preload library looks for it (build the vq_shim target)" >&2
  exit 1
fi
for f in "$FIXTURE_V3" "$FIXTURE_V5"; do
  if [[ ! -e $f/node_modules/.bin/vitest ]]; then
    echo "$PROG: FAIL: $(basename "$f") has no node_modules/.bin/vitest: run tests/e2e/setup.sh" >&2
    exit 1
  fi
done
TOOLS_BIN=$E2E_DIR/tools/node_modules/.bin
for t in pnpm yarn; do
  if [[ ! -x $TOOLS_BIN/$t ]]; then
    echo "$PROG: FAIL: no $t at $TOOLS_BIN/$t: run tests/e2e/setup.sh" >&2
    exit 1
  fi
done

# This script's own knobs, read before the environment is cleaned below.
SLEEP_MS=${VQ_E2E_SLEEP_MS:-300}
CONTROL_SLEEP_MS=${VQ_E2E_CONTROL_SLEEP_MS:-3000}
RUN_TIMEOUT=${VQ_E2E_RUN_TIMEOUT:-240}
KEEP=${VQ_E2E_KEEP:-0}

# A clean environment: nothing from an outer vq, an outer vitest or an outer
# preload may leak in.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(VQ_|VITEST)' || true)
unset LD_PRELOAD FORCE_COLOR
export NO_COLOR=1 npm_config_update_notifier=false

# No shim on PATH: drop every PATH entry whose `vitest` is a vq shim (same file).
clean_path=""
IFS=: read -r -a path_entries <<<"$PATH"
for p in "${path_entries[@]}"; do
  [[ -n $p && -e $p/vitest && $p/vitest -ef $SHIM ]] && continue
  clean_path=${clean_path:+$clean_path:}$p
done
PATH=$clean_path
# setup.sh installs a pinned Node.js here when the system one is too old.
if [[ -x $E2E_DIR/tools-node/node_modules/.bin/node ]]; then
  PATH=$E2E_DIR/tools-node/node_modules/.bin:$PATH
fi
PATH=$TOOLS_BIN:$PATH
export PATH
command -v node >/dev/null 2>&1 || { echo "$PROG: FAIL: node not found on PATH" >&2; exit 1; }

export VQ_E2E_SLEEP_MS=$SLEEP_MS
NFILES_V3=$(find "$FIXTURE_V3/test" -name '*.test.mjs' | wc -l)
NFILES_V5=$(find "$FIXTURE_V5/test" -name '*.test.mjs' | wc -l)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vq-e2e-preload.XXXXXX")
SAMPLER_PID=""
cleanup() {
  [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "  PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "  FAIL: $*"; }
info() { echo "        $*"; }

show_run() {
  local d=$1 name=$2
  echo "    --- run $name: stdout (tail) ---"; tail -n 15 "$d/$name.out" 2>/dev/null | sed 's/^/    | /'
  echo "    --- run $name: stderr (tail, without 'already routed' debug lines) ---"
  grep -v 'already routed' "$d/$name.err" 2>/dev/null | tail -n 15 | sed 's/^/    | /'
}
show_file() {
  echo "    --- $1 ---"
  if [[ -f $1 ]]; then tail -n 30 "$1" | sed 's/^/    | /'; else echo "    | (missing)"; fi
}

# The /proc observer. Usage: node sampler.mjs RECORD_PATH STOP_FILE TRACE_FILE
# Prints one summary line when STOP_FILE appears:
#   samples=N max=M seen=S seen_without_holder=W max_runs=R max_unexeced_forks=F
cat >"$WORK/sampler.mjs" <<'EOF'
import { readdirSync, readFileSync, readlinkSync, existsSync, appendFileSync } from 'node:fs'
import { basename } from 'node:path'

const [record, stopFile, traceFile] = process.argv.slice(2)
const marker = `VQ_E2E_RECORD=${record}`
const pause = new Int32Array(new SharedArrayBuffer(4))

// { pid, ppid, run id, has VQ_HOLDER } of a vitest main process of this check, or null.
function vitestMain(pid) {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')
    const script = argv.slice(1).find((a) => a !== '' && !a.startsWith('-'))
    if (!script || !['vitest.mjs', 'vitest'].includes(basename(script))) return null
    if (!basename(readlinkSync(`/proc/${pid}/exe`)).startsWith('node')) return null
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
    if (!env.includes(marker)) return null
    const run = (env.find((e) => e.startsWith('VQ_E2E_RUN=')) || 'VQ_E2E_RUN=?').slice(11)
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]
    return { pid, ppid, run, holder: env.some((e) => e.startsWith('VQ_HOLDER=')) }
  } catch {
    return null // gone, or not ours to read
  }
}

let samples = 0
let max = 0
let maxRuns = 0
let maxForks = 0
let last = ''
const seen = new Set()
const seenWithoutHolder = new Set()
for (;;) {
  const stop = existsSync(stopFile)
  let found = []
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue
    const main = vitestMain(name)
    if (main) found.push(main)
  }
  // A child that vitest has forked but not yet exec'd still shows vitest's
  // cmdline, exe and environment: it is not another run.
  const pids = new Set(found.map((m) => m.pid))
  const forks = found.filter((m) => pids.has(m.ppid)).length
  found = found.filter((m) => !pids.has(m.ppid))
  maxForks = Math.max(maxForks, forks)
  samples++
  const runs = new Set(found.map((m) => m.run))
  for (const m of found) {
    seen.add(m.run)
    if (!m.holder) seenWithoutHolder.add(m.run)
  }
  max = Math.max(max, found.length)
  maxRuns = Math.max(maxRuns, runs.size)
  const line =
    found.map((m) => m.run + (m.holder ? '' : '(no-holder)')).sort().join(' ') +
    (forks > 0 ? ` (+${forks} forked, not yet exec'd)` : '')
  if (line !== last) appendFileSync(traceFile, `${Date.now()} ${found.length} ${line}\n`)
  last = line
  if (stop) break
  Atomics.wait(pause, 0, 0, 50)
}
console.log(`samples=${samples} max=${max} seen=${seen.size} seen_without_holder=${seenWithoutHolder.size} max_runs=${maxRuns} max_unexeced_forks=${maxForks}`)
EOF

start_sampler() {
  local d=$1
  rm -f "$d/sampler.stop"
  node "$WORK/sampler.mjs" "$d/records" "$d/sampler.stop" "$d/sampler.trace" >"$d/sampler.out" 2>"$d/sampler.err" &
  SAMPLER_PID=$!
}
# Stops the sampler (not in a subshell: it must wait for its own child); its
# summary line is then in DIR/sampler.out.
stop_sampler() {
  local d=$1
  touch "$d/sampler.stop"
  wait "$SAMPLER_PID" 2>/dev/null
  SAMPLER_PID=""
}
summary_field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# start_launch DIR NAME CWD PRELOAD(0|1) [VAR=VALUE ...] -- COMMAND...: start a
# launcher in CWD in the background, with LD_PRELOAD when PRELOAD is 1. Writes
# DIR/NAME.{out,err} and, when it ends, DIR/NAME.rc.
start_launch() {
  local d=$1 name=$2 cwd=$3 preload=$4; shift 4
  local kvs=()
  while [[ $# -gt 0 && $1 != -- ]]; do kvs+=("$1"); shift; done
  shift
  (
    cd "$cwd" || exit 99
    export VQ_E2E_RECORD="$d/records" VQ_E2E_RUN="$name"
    local kv
    for kv in "${kvs[@]}"; do export "${kv?}"; done
    [[ $preload == 1 ]] && export LD_PRELOAD="$PRELOAD_LIB"
    timeout -k 5 "$RUN_TIMEOUT" "$@" </dev/null >"$d/$name.out" 2>"$d/$name.err"
    echo $? >"$d/$name.rc"
  ) &
}

# wait_launches DIR NAME...: wait for the launches (all background jobs but the sampler).
wait_launches() {
  local d=$1 n j; shift
  for j in $(jobs -p); do [[ $j != "$SAMPLER_PID" ]] && wait "$j"; done
  for n in "$@"; do [[ -f $d/$n.rc ]] || echo 98 >"$d/$n.rc"; done
}


admitted_count() { cat "$1"/*.log 2>/dev/null | grep -c 'event=admitted'; }

# check_launcher TITLE FIXTURE_DIR NFILES RUN_PREFIX COMMAND...: 8 concurrent
# launches with the preload, limit 2, fresh queue; both observers <= 2.
check_launcher() {
  local title=$1 fixture=$2 nfiles=$3 prefix=$4; shift 4
  local d=$WORK/$prefix q names=() i n ok=1 t0 t1
  mkdir -p "$d"; q=$d/q
  for i in 1 2 3 4 5 6 7 8; do names+=("$prefix$i"); done
  start_sampler "$d"
  t0=$(date +%s%3N)
  for n in "${names[@]}"; do
    start_launch "$d" "$n" "$fixture" 1 VQ_QUEUE_DIR="$q" VQ_MAX_PROCESSES=2 VQ_QUEUE_TIMEOUT=0 -- "$@"
  done
  wait_launches "$d" "${names[@]}"
  t1=$(date +%s%3N)
  stop_sampler "$d"
  local summary; summary=$(cat "$d/sampler.out")
  local rcs=""; for n in "${names[@]}"; do rcs+="$(cat "$d/$n.rc") "; done
  info "8 x '$*' in $(basename "$fixture"): all ended after $((t1 - t0)) ms; exit codes: $rcs"
  for n in "${names[@]}"; do
    if [[ $(cat "$d/$n.rc") != 0 ]]; then
      fail "$title: run $n exited $(cat "$d/$n.rc") (expected 0)"; show_run "$d" "$n"; ok=0
    elif [[ $(files_done "$d" "$n") != "$nfiles" ]]; then
      fail "$title: run $n recorded $(files_done "$d" "$n") of $nfiles test files"; ok=0
    fi
  done
  [[ $ok == 1 ]] && pass "$title: all 8 runs exited 0 and ran their $nfiles test files"

  local overlap; overlap=$(run_overlap "$d")
  if ((overlap <= 2)); then
    pass "$title: records observer: max $overlap runs overlapping (limit 2)"
  else
    fail "$title: records observer: max $overlap runs overlapping (limit 2)"; show_file "$d/records"
  fi

  local smax seen nohold samples forks
  smax=$(summary_field "$summary" max); seen=$(summary_field "$summary" seen)
  forks=$(summary_field "$summary" max_unexeced_forks)
  nohold=$(summary_field "$summary" seen_without_holder); samples=$(summary_field "$summary" samples)
  if [[ -z $smax ]]; then
    fail "$title: /proc observer gave no summary"; show_file "$d/sampler.err"
  elif ((smax <= 2 && seen == 8 && nohold == 0)); then
    pass "$title: /proc observer: max $smax vitest main processes at once over $samples samples; saw all $seen runs, each with VQ_HOLDER (forked, not yet exec'd children not counted: up to $forks in one sample)"
  else
    fail "$title: /proc observer: max $smax vitest main processes at once (limit 2), saw $seen of 8 runs, $nohold without VQ_HOLDER ($summary)"
    show_file "$d/sampler.trace"
  fi

  local adm queued; adm=$(admitted_count "$q"); queued=$(cat "$q"/*.log 2>/dev/null | grep -c 'event=queued')
  if [[ $adm == 8 ]]; then
    pass "$title: queue log has 8 admitted lines ($queued runs queued first)"
  else
    fail "$title: queue log has $adm admitted lines (expected 8: every launch through the shim)"; show_file "$q/vitest-queue.log"
  fi

  local worst=0 c
  for n in "${names[@]}"; do c=$(file_concurrency "$d" "$n"); ((c > worst)) && worst=$c; done
  if ((worst == 1)); then
    pass "$title: every run ran one test file at a time (forced single worker)"
  else
    fail "$title: a run ran $worst test files at once (the shim should force one worker)"
  fi
}

echo "== vq e2e: launchers caught by libvq-preload.so alone"
info "preload: $PRELOAD_LIB"
info "shim:    $SHIM (beside the library; not on PATH: 'command -v vitest' -> '$(command -v vitest || true)')"
info "node $(node --version), npm $(npm --version), pnpm $(pnpm --version), yarn $(yarn --version); $SLEEP_MS ms per test file; temp $WORK"
T_START=$(date +%s%3N)
if [[ $(command -v vitest || true) -ef $SHIM ]]; then
  fail "the shim is still reachable as 'vitest' on PATH; these checks need it off PATH"
fi

# ---------------------------------------------------------------------------
echo "-- check 1: pnpm test (fixture-v5), 8 concurrent, limit 2"
check_launcher "pnpm test" "$FIXTURE_V5" "$NFILES_V5" pnpm pnpm test

echo "-- check 1 control: 4 concurrent pnpm test WITHOUT LD_PRELOAD overlap (the observers can fail)"
D=$WORK/control; mkdir -p "$D"
start_sampler "$D"
for n in ctl1 ctl2 ctl3 ctl4; do
  start_launch "$D" "$n" "$FIXTURE_V5" 0 VQ_E2E_SLEEP_MS="$CONTROL_SLEEP_MS" VQ_QUEUE_DIR="$D/q" -- pnpm test
done
wait_launches "$D" ctl1 ctl2 ctl3 ctl4
stop_sampler "$D"
summary=$(cat "$D/sampler.out")
info "exit codes: $(cat "$D"/ctl*.rc | tr '\n' ' ')($CONTROL_SLEEP_MS ms per test file)"
overlap=$(run_overlap "$D"); smax=$(summary_field "$summary" max)
if ((overlap > 2)); then
  pass "control: records observer: max $overlap runs overlapping without the preload"
else
  fail "control: records observer: max $overlap runs overlapping without the preload (expected > 2; machine too loaded?)"; show_file "$D/records"
fi
if [[ -n $smax ]] && ((smax > 2)); then
  pass "control: /proc observer: max $smax vitest main processes at once without the preload"
else
  fail "control: /proc observer: max '$smax' vitest main processes at once without the preload (expected > 2)"; show_file "$D/sampler.trace"
fi
if [[ -e $D/q ]]; then
  fail "control: queue directory $D/q appeared although no preload was set (is the shim on PATH?)"
fi

# ---------------------------------------------------------------------------
echo "-- check 2: npm test (fixture-v3), 8 concurrent, limit 2"
check_launcher "npm test" "$FIXTURE_V3" "$NFILES_V3" npm npm test

echo "-- check 3: npx vitest run (fixture-v3), 8 concurrent, limit 2"
check_launcher "npx vitest run" "$FIXTURE_V3" "$NFILES_V3" npx npx vitest run

echo "-- check 4: yarn test (yarn $(yarn --version), fixture-v3), 8 concurrent, limit 2"
check_launcher "yarn test" "$FIXTURE_V3" "$NFILES_V3" yarn yarn test

# ---------------------------------------------------------------------------
echo "-- check 5: nested, limit 1: a queued run whose test launches 'npx vitest run test/a.test.mjs' completes"
D=$WORK/nested; mkdir -p "$D"
NESTED_CMD=(npx vitest run --config vitest.nested.config.mjs)
start_launch "$D" outer "$FIXTURE_V3" 1 VQ_QUEUE_DIR="$D/q" VQ_MAX_PROCESSES=1 VQ_QUEUE_TIMEOUT=0 \
  VQ_DEBUG=1 VQ_E2E_NESTED=1 VQ_E2E_NESTED_OUT="$D/inner" -- "${NESTED_CMD[@]}"
wait_launches "$D" outer
inner_rc=$(cat "$D/inner.rc" 2>/dev/null || echo missing)
info "outer exit $(cat "$D/outer.rc"), inner exit $inner_rc"
if [[ $(cat "$D/outer.rc") == 0 && $inner_rc == 0 ]]; then
  pass "nested: outer run and the vitest it launched both exited 0 (no self-deadlock at limit 1)"
else
  fail "nested: outer exit $(cat "$D/outer.rc"), inner exit $inner_rc (expected 0 and 0)"
  show_run "$D" outer; show_run "$D" inner
fi
adm=$(admitted_count "$D/q")
outer_vitest=$(awk '$1 == "outer" && $2 == "nested" { print $4; exit }' "$D/records" 2>/dev/null)
adm_line=$(grep 'event=admitted' "$D"/q/*.log 2>/dev/null | head -n 1)
if [[ $adm == 1 && -n $outer_vitest && $adm_line == *" pid=$outer_vitest "* ]]; then
  pass "nested: one admitted line, for the outer vitest (pid $outer_vitest, the nested test's parent)"
else
  fail "nested: $adm admitted lines (expected 1, naming the outer vitest pid '$outer_vitest')"; show_file "$(ls "$D"/q/*.log 2>/dev/null | head -n 1)"
fi
if grep -q 'vq-preload: .*vitest launch.*via the shim' "$D/inner.err" 2>/dev/null &&
  ! grep -q '^vq: .*wait' "$D/inner.err"; then
  pass "nested: the inner launch was redirected to the shim and passed through without waiting"
  grep 'via the shim' "$D/inner.err" | head -n 1 | sed 's/^/        inner stderr: /'
else
  fail "nested: inner stderr lacks the preload's 'via the shim' line, or shows a wait"; show_file "$D/inner.err"
fi
read -r os oe <<<"$(awk '$1 == "outer" && $2 == "nested" { if ($5 == "start") s = $6; else e = $6 } END { print (s == "" ? 0 : s), (e == "" ? 0 : e) }' "$D/records" 2>/dev/null)"
read -r is ie <<<"$(awk '$1 == "outer-inner" { if ($5 == "start") s = $6; else e = $6 } END { print (s == "" ? 0 : s), (e == "" ? 0 : e) }' "$D/records" 2>/dev/null)"
if ((is > 0 && os <= is && ie <= oe)); then
  pass "nested: the inner run's test ran inside the outer test ($((ie - is)) ms within $((oe - os)) ms), while the outer held the only slot"
else
  fail "nested: inner test interval $is..$ie is not inside the outer test $os..$oe"; show_file "$D/records"
fi

echo "-- check 5 control: the same inner launch without VQ_HOLDER waits for its parent's slot and gives up"
D=$WORK/nested-control; mkdir -p "$D"
start_launch "$D" outer "$FIXTURE_V3" 1 VQ_QUEUE_DIR="$D/q" VQ_MAX_PROCESSES=1 VQ_QUEUE_TIMEOUT=0 \
  VQ_E2E_NESTED=no-holder VQ_E2E_NESTED_OUT="$D/inner" -- "${NESTED_CMD[@]}"
wait_launches "$D" outer
inner_rc=$(cat "$D/inner.rc" 2>/dev/null || echo missing)
if [[ $inner_rc == 75 ]] && grep -q '^vq: gave up' "$D/inner.err"; then
  pass "nested control: without the marker the inner launch queued behind its own parent and gave up (exit 75), so check 5 can fail"
else
  fail "nested control: inner exit $inner_rc (expected 75 and 'vq: gave up')"; show_run "$D" outer; show_file "$D/inner.err"
fi

# ---------------------------------------------------------------------------
echo "-- check 6: transparency: a failing run's exit status is the same with and without the preload"
D=$WORK/status; mkdir -p "$D"
# compare_status LABEL [VAR=VALUE ...] -- COMMAND...: run once without and once
# with the preload (own queue), sequentially, in fixture-v3.
compare_status() {
  local label=$1; shift
  start_launch "$D" "$label-plain" "$FIXTURE_V3" 0 "$@"; wait_launches "$D" "$label-plain"
  local kvs=()
  while [[ $1 != -- ]]; do kvs+=("$1"); shift; done
  start_launch "$D" "$label-preload" "$FIXTURE_V3" 1 "${kvs[@]}" VQ_QUEUE_DIR="$D/q-$label" "$@"
  wait_launches "$D" "$label-preload"
  local plain preload adm
  plain=$(cat "$D/$label-plain.rc"); preload=$(cat "$D/$label-preload.rc"); adm=$(admitted_count "$D/q-$label")
  if [[ $plain != 0 && $plain == "$preload" && $adm == 1 ]]; then
    pass "$label: exit $plain without and $preload with the preload (which queued it: $adm admitted line)"
  else
    fail "$label: exit $plain without, $preload with the preload, $adm admitted lines (expected equal non-zero, 1 admitted)"
    show_run "$D" "$label-plain"; show_run "$D" "$label-preload"
  fi
}
compare_status "npm-test-no-match" -- npm test -- no-such-test-file
compare_status "npx-failing-test" VQ_E2E_FAIL=1 -- "${NESTED_CMD[@]}"
if grep -q 'Test Files  1 failed' "$D/npx-failing-test-preload.out" &&
  grep -q 'Test Files  1 failed' "$D/npx-failing-test-plain.out"; then
  pass "npx-failing-test: both outputs report 'Test Files  1 failed'"
else
  fail "npx-failing-test: 'Test Files  1 failed' missing from an output"
fi

T_END=$(date +%s%3N)
echo "== preload launchers: $PASSED passed, $FAILED failed, in $(((T_END - T_START) / 1000)) s"
[[ $FAILED == 0 ]]
