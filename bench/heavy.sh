#!/usr/bin/env bash
# The "heavy workload" scenario (bench/run --only heavy; slow, not in CI): K concurrent
# `npm test` of tests/e2e/fixture-heavy (each test file fills and holds ~300 MiB), all inside
# a memory cgroup of BUDGET bytes made for each variant, through libvq-preload.so:
#   vq memory admission, cold     the project's first K runs (its estimate is the cold 1 GiB)
#   vq memory admission, learned  the next K runs (the estimate learned from those)
#   ..., VQ_WORKERS=auto          the same, each admitted run given workers by CPUs and room
#   vq count only, limit N        VQ_MEMORY_ADMISSION=0 at every fixed count N = 1..K (the best
#                                 of these is the fixed count "found by hand" for this budget)
#   no vq                         K plain npm test, no preload
# Per variant: total wall time, the cgroup's peak memory, its OOM kills (the kernel's counter),
# runs passed. Target: 0 OOM kills with memory admission, and its wall time within 1.2x of the
# best fixed count that passed every run with no OOM kill.
#
# Usage: bench/heavy.sh BUILD_DIR OUT_DIR [K] [BUDGET_MIB]   (root; defaults K=6, 2048 MiB)
# Needs root, a memory cgroup controller and tests/e2e/setup.sh's fixture-v3 (its vitest 3.x).
set -uo pipefail
PROG=heavy.sh
BUILD=$(cd "$1" && pwd) OUT=$2 K=${3:-6} BUDGET_MIB=${4:-2048}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAVY=$ROOT/tests/e2e/fixture-heavy V3=$ROOT/tests/e2e/fixture-v3
PRELOAD_LIB=$BUILD/libvq-preload.so
die() { echo "$PROG: error: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root to make a memory cgroup (run bench/run --only heavy as root)"
[[ -e $V3/node_modules/.bin/vitest ]] || die "fixture-v3 is not installed: run tests/e2e/setup.sh"
[[ -e $PRELOAD_LIB ]] || die "$PRELOAD_LIB is missing: build the project first"
if [[ -x $ROOT/tests/e2e/tools-node/node_modules/.bin/node ]]; then
  PATH=$ROOT/tests/e2e/tools-node/node_modules/.bin:$PATH
fi
unset LD_PRELOAD VQ_QUEUE_DIR VQ_HISTORY VQ_MEMORY_ESTIMATE VQ_MAX_PROCESSES FORCE_COLOR
export npm_config_update_notifier=false

own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [[ -n $own && -e /sys/fs/cgroup/memory$own/memory.limit_in_bytes ]]; then
  V1=1 PARENT=/sys/fs/cgroup/memory${own%/}
else
  V1=0 own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup) PARENT=/sys/fs/cgroup${own%/}
  grep -qw memory "$PARENT/cgroup.subtree_control" 2>/dev/null || die "no memory cgroup controller here"
fi
WORK=$(mktemp -d)
CGROUPS=()
cleanup() {
  local cg
  for cg in "${CGROUPS[@]}"; do for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.3; done; done
  rm -rf "$WORK"
}
trap cleanup EXIT

make_cgroup() {
  local cg=$PARENT/vq-bench-heavy-$$-$1
  mkdir "$cg" || return 1
  if [[ $V1 == 1 ]]; then
    echo $((BUDGET_MIB << 20)) >"$cg/memory.limit_in_bytes"
    [[ -e $cg/memory.memsw.limit_in_bytes ]] && echo $((BUDGET_MIB << 20)) >"$cg/memory.memsw.limit_in_bytes"
    echo 0 >"$cg/memory.swappiness" 2>/dev/null
  else
    echo $((BUDGET_MIB << 20)) >"$cg/memory.max"
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
make_project() {
  local p=$WORK/$1
  [[ -d $p ]] && { echo "$p"; return; }
  mkdir -p "$p" && cp -r "$HEAVY/package.json" "$HEAVY/vitest.config.mjs" "$HEAVY/hold.mjs" "$HEAVY/test" "$p/" &&
    ln -s "$V3/node_modules" "$p/node_modules" && echo "$p"
}

ROWS=()
# batch LABEL PROJECT QUEUE PRELOAD(0|1) [VAR=VALUE ...]: K concurrent npm test in a fresh
# cgroup; appends "LABEL|wall s|peak MiB|OOM kills|passed" to ROWS.
batch() {
  local label=$1 project=$2 queue=$3 preload=$4; shift 4
  local cg k t0 t1 passed
  cg=$(make_cgroup "${#ROWS[@]}") || die "cannot make a cgroup below $PARENT"
  CGROUPS+=("$cg")
  rm -f "$WORK"/rc.*
  t0=$(date +%s.%N)
  for k in $(seq "$K"); do
    (
      echo "$BASHPID" >"$cg/cgroup.procs" || exit 97
      cd "$project" || exit 99
      export VQ_QUEUE_DIR=$queue VQ_HISTORY=$WORK/history.db "$@"
      [[ $preload == 1 ]] && export LD_PRELOAD=$PRELOAD_LIB
      timeout -k 5 600 npm test </dev/null >"$WORK/out.$k" 2>&1
      echo $? >"$WORK/rc.$k"
    ) &
  done
  wait
  t1=$(date +%s.%N)
  passed=$(grep -lx 0 "$WORK"/rc.* 2>/dev/null | wc -l)
  ROWS+=("$label|$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')|$(peak_mib "$cg")|$(oom_kills "$cg")|$passed")
  echo "$PROG: ${ROWS[-1]}" >&2
}

echo "$PROG: $K concurrent npm test of fixture-heavy in a $BUDGET_MIB MiB memory cgroup" >&2
admit=$(make_project admit)
batch "vq memory admission, cold" "$admit" "$WORK/q-admit" 1 VQ_MAX_PROCESSES="$K"
sleep 2  # the last runs' watchers refresh the learned estimate
batch "vq memory admission, learned" "$admit" "$WORK/q-admit" 1 VQ_MAX_PROCESSES="$K"
batch "vq memory admission, learned, VQ_WORKERS=auto" "$admit" "$WORK/q-admit" 1 \
  VQ_MAX_PROCESSES="$K" VQ_WORKERS=auto
for n in $(seq "$K"); do
  batch "vq count only, limit $n" "$(make_project "count$n")" "$WORK/q-count$n" 1 \
    VQ_MEMORY_ADMISSION=0 VQ_MAX_PROCESSES="$n"
done
batch "no vq" "$(make_project plain)" "$WORK/q-plain" 0

mkdir -p "$OUT"
best=""
for row in "${ROWS[@]}"; do
  IFS='|' read -r label wall _ kills passed <<<"$row"
  [[ $label == "vq count only"* && $kills == 0 && $passed == "$K" ]] || continue
  [[ -z $best ]] || awk -v a="$wall" -v b="${best#*|}" 'BEGIN { exit !(a < b) }' && best="$label|$wall"
done
{
  echo "Heavy workload: $K concurrent \`npm test\` of fixture-heavy (2 files x ~300 MiB each, one worker per run), $BUDGET_MIB MiB memory cgroup; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, Linux $(uname -r)"
  echo
  echo "| variant | wall s | cgroup peak MiB | OOM kills | runs passed |"
  echo "|---|---:|---:|---:|---:|"
  for row in "${ROWS[@]}"; do IFS='|' read -r a b c d e <<<"$row"; echo "| $a | $b | $c | $d | $e/$K |"; done
  echo
  if [[ -n $best ]]; then
    echo "Best fixed count (every run passed, no OOM kill): ${best%|*}, ${best#*|} s."
    for row in "${ROWS[@]}"; do
      IFS='|' read -r label wall _ kills passed <<<"$row"
      [[ $label == "vq memory admission"* ]] || continue
      awk -v l="$label" -v w="$wall" -v b="${best#*|}" -v k="$kills" 'BEGIN {
        r = w / b
        printf "- %s: %.2fx the best fixed count (target <= 1.2: %s), %d OOM kills (target 0: %s)\n",
          l, r, r <= 1.2 ? "met" : "**not met**", k, k == 0 ? "met" : "**not met**" }'
    done
  else
    echo "No fixed count passed every run without an OOM kill."
  fi
} | tee "$OUT/heavy-results.md"
