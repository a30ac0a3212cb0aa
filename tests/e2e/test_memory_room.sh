#!/usr/bin/env bash
# End-to-end memory room with real vitest (issue 16): 8 concurrent `npm test` of fixture-heavy
# (each test file fills and holds ~300 MiB; one worker per run, vq's default), count limit 8,
# all inside a 2 GiB memory cgroup the test makes, reached through libvq-preload.so.
#   1. memory admission on (the default): all 8 pass and the cgroup counts 0 OOM kills;
#   2. the next run of the project is admitted with the estimate learned from those runs (its
#      status entry, the queue's memory-estimates file and `vq-admin history` agree; not the
#      cold 1 GiB);
#   3. control, VQ_MEMORY_ADMISSION=0: OOM kills or failed runs (the observers can fail).
# Observers: the launchers' exit statuses and the kernel's own OOM counter of the cgroup
# (v1 memory.oom_control, v2 memory.events), not vq.
#
# Usage: test_memory_room.sh PRELOAD_LIB VQ_ADMIN FIXTURE_HEAVY FIXTURE_V3
# Needs root and a memory cgroup controller (exits 77, skipped, otherwise) and
# tests/e2e/setup.sh's fixture-v3 (its vitest 3.x is linked into a copy of fixture-heavy).
set -uo pipefail
PROG=$(basename "$0")
if [[ $# -ne 4 ]]; then
  echo "usage: $PROG PRELOAD_LIB VQ_ADMIN FIXTURE_HEAVY FIXTURE_V3" >&2
  exit 2
fi
PRELOAD_LIB=$1 VQ_ADMIN=$2 HEAVY=$3 V3=$4
skip() { echo "$PROG: SKIP: $*"; exit 77; }
fail() { echo "$PROG: FAIL: $*" >&2; FAILED=1; }
FAILED=0
[[ $(id -u) -eq 0 ]] || skip "needs root to make a memory cgroup"
[[ -e $V3/node_modules/.bin/vitest ]] ||
  { echo "$PROG: FAIL: fixture-v3 has no node_modules/.bin/vitest: run tests/e2e/setup.sh" >&2; exit 1; }
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -x $E2E_DIR/tools-node/node_modules/.bin/node ]]; then
  PATH=$E2E_DIR/tools-node/node_modules/.bin:$PATH
fi
unset LD_PRELOAD VQ_QUEUE_DIR VQ_HISTORY VQ_MEMORY_ESTIMATE VQ_WORKERS FORCE_COLOR
export npm_config_update_notifier=false

# The cgroup: below our own memory cgroup, v1 if the memory controller is there, else v2.
own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [[ -n $own && -e /sys/fs/cgroup/memory$own/memory.limit_in_bytes ]]; then
  V1=1 PARENT=/sys/fs/cgroup/memory${own%/}
else
  V1=0 own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  PARENT=/sys/fs/cgroup${own%/}
  grep -qw memory "$PARENT/cgroup.subtree_control" 2>/dev/null || skip "no memory cgroup controller here"
fi
BUDGET=$((2 << 30))
WORK=$(mktemp -d)
CGROUPS=()
cleanup() {
  local cg
  for cg in "${CGROUPS[@]}"; do for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.3; done; done
  rm -rf "$WORK"
}
trap cleanup EXIT

make_cgroup() {  # NAME: prints the new cgroup's directory
  local cg=$PARENT/vq-e2e-memroom-$$-$1
  mkdir "$cg" || return 1
  if [[ $V1 == 1 ]]; then
    echo "$BUDGET" >"$cg/memory.limit_in_bytes"
    # No swap to escape to (memsw exists only with swap accounting on).
    [[ -e $cg/memory.memsw.limit_in_bytes ]] && echo "$BUDGET" >"$cg/memory.memsw.limit_in_bytes"
    echo 0 >"$cg/memory.swappiness" 2>/dev/null
  else
    echo "$BUDGET" >"$cg/memory.max"
    echo 0 >"$cg/memory.swap.max" 2>/dev/null
  fi
  echo "$cg"
}
oom_kills() { awk '$1 == "oom_kill" { print $2 }' "$1/$([[ $V1 == 1 ]] && echo memory.oom_control || echo memory.events)"; }
peak_mib() {
  local file=$1/memory.max_usage_in_bytes
  [[ $V1 == 1 ]] || file=$1/memory.peak
  [[ -r $file ]] && echo $(($(cat "$file") >> 20)) || echo "?"
}

# A copy of the fixture per phase (a project of its own, so each starts cold) using
# fixture-v3's installed vitest.
make_project() {  # NAME
  local p=$WORK/$1
  mkdir -p "$p" && cp -r "$HEAVY/package.json" "$HEAVY/vitest.config.mjs" "$HEAVY/hold.mjs" "$HEAVY/test" "$p/" &&
    ln -s "$V3/node_modules" "$p/node_modules" && echo "$p"
}

# run_batch NAME N [VAR=VALUE ...]: N concurrent `npm test` inside a fresh cgroup, each with
# the preload; waits for all; leaves NAME.rc.K, the cgroup in CG_NAME.
run_batch() {
  local name=$1 n=$2; shift 2
  local project cg k
  project=$(make_project "$name") || { fail "cannot copy the fixture"; return; }
  cg=$(make_cgroup "$name") || { fail "cannot make a cgroup below $PARENT"; return; }
  CGROUPS+=("$cg")
  eval "CG_$name=\$cg PROJECT_$name=\$project"
  for k in $(seq "$n"); do
    (
      echo "$BASHPID" >"$cg/cgroup.procs" || exit 97
      cd "$project" || exit 99
      export VQ_QUEUE_DIR=$WORK/$name.queue VQ_HISTORY=$WORK/$name.history.db VQ_MAX_PROCESSES=8
      export LD_PRELOAD=$PRELOAD_LIB "$@"
      timeout -k 5 120 npm test </dev/null >"$WORK/$name.out.$k" 2>&1
      echo $? >"$WORK/$name.rc.$k"
    ) &
  done
  wait
}
passed() { grep -lx 0 "$WORK/$1".rc.* 2>/dev/null | wc -l; }

echo "-- 1. memory admission on: 8 x npm test, limit 8, in a 2 GiB cgroup"
t0=$(date +%s.%N)
run_batch admit 8
t1=$(date +%s.%N)
kills=$(oom_kills "$CG_admit")
echo "$PROG: admission: $(passed admit)/8 passed, oom_kill $kills, cgroup peak $(peak_mib "$CG_admit") MiB, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
echo "$PROG: what the waiters said (count, last wait line of each run):"
for k in $(seq 8); do grep -a "vq: waiting" "$WORK/admit.out.$k" | tail -1; done | sed 's/waiting [0-9.]*s/waiting Ns/' | sort | uniq -c | sed 's/^/    /'
[[ $(passed admit) -eq 8 ]] || { fail "not all 8 runs passed with memory admission"; tail -5 "$WORK"/admit.out.* >&2; }
[[ $kills == 0 ]] || fail "the cgroup counts $kills OOM kills with memory admission"

echo "-- 2. the next run uses the learned estimate"
# The watchers refresh the file just after their runs end: allow them a few seconds.
file_line=""
for _ in $(seq 50); do
  file_line=$(grep " $PROJECT_admit\$" "$WORK/admit.queue/memory-estimates" 2>/dev/null)
  read -r _ samples _ <<<"$file_line"
  [[ ${samples:-0} -ge 8 ]] && break
  sleep 0.1
done
learned=${file_line%% *}
[[ -n $learned ]] || fail "no learned estimate for $PROJECT_admit in the queue's memory-estimates file"
history=$(VQ_HISTORY=$WORK/admit.history.db VQ_QUEUE_DIR=$WORK/admit.queue "$VQ_ADMIN" history --json --project "$PROJECT_admit")
read -r h_source h_bytes h_samples < <(python3 -c '
import json, sys
p = json.load(sys.stdin)["projects"][0]["memory_estimate"]
print(p["source"], p["bytes"], p["samples"])' <<<"$history")
echo "$PROG: learned estimate: file $((${learned:-0} >> 20)) MiB; history $h_source $((${h_bytes:-0} >> 20)) MiB from $h_samples runs"
[[ $h_source == learned && ${h_samples:-0} -ge 8 ]] || fail "history shows no estimate learned from the 8 runs: $h_source/$h_samples"
[[ -n $learned && ${h_bytes:-0} -gt 0 ]] &&
  (( h_bytes * 10 >= learned * 9 && h_bytes * 10 <= learned * 11 )) ||
  fail "history's estimate ($h_bytes) and the file's ($learned) disagree"
(
  echo "$BASHPID" >"$CG_admit/cgroup.procs"
  cd "$PROJECT_admit" && VQ_QUEUE_DIR=$WORK/admit.queue VQ_HISTORY=$WORK/admit.history.db LD_PRELOAD=$PRELOAD_LIB \
    timeout 60 npm test </dev/null >"$WORK/again.out" 2>&1
  echo $? >"$WORK/again.rc"
) &
again=$!
used=""
for _ in $(seq 100); do
  used=$(VQ_QUEUE_DIR=$WORK/admit.queue "$VQ_ADMIN" status --json 2>/dev/null |
    python3 -c 'import json, sys; a = json.load(sys.stdin)["active"]; print(a[0]["memory_estimate_bytes"] if a else "")' 2>/dev/null)
  [[ -n $used ]] && break
  sleep 0.1
done
wait "$again"
echo "$PROG: the next run was admitted with ${used:-?} bytes (learned: ${learned:-?}; cold default: $((1 << 30)))"
[[ -n $used && $used == "$learned" ]] || fail "the next run's estimate is '${used}', not the learned ${learned}"
[[ $(cat "$WORK/again.rc") == 0 ]] || fail "the next run failed: $(tail -3 "$WORK/again.out")"

echo "-- 3. control: VQ_MEMORY_ADMISSION=0, the count alone admits all 8 at once"
run_batch control 8 VQ_MEMORY_ADMISSION=0
kills=$(oom_kills "$CG_control")
echo "$PROG: control: $(passed control)/8 passed, oom_kill $kills, cgroup peak $(peak_mib "$CG_control") MiB"
[[ $kills -gt 0 || $(passed control) -lt 8 ]] ||
  fail "the control saw neither OOM kills nor failures: the fixture does not exhaust the cgroup"

[[ $FAILED -eq 0 ]] || exit 1
echo "$PROG: PASS"
