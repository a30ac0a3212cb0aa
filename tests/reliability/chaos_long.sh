#!/usr/bin/env bash
# The long chaos run of docs/RELIABILITY.md: the storm of tests/reliability/test_chaos.cpp with
# 2,000 launches (ctest runs 400). Uses the build in BUILD (default: build-reliability in the
# source tree; configured RelWithDebInfo if new), builds the test, runs the storm, prints figures.
#
#   tests/reliability/chaos_long.sh [LAUNCHES] [BUILD]     e.g. chaos_long.sh 2000
#   VQ_MP_SEED=S replays a run; the figures are also left in BUILD/chaos-figures.txt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
launches="${1:-2000}"
build="${2:-$root/build-reliability}"
jobs=$(( $(nproc) < 2 ? $(nproc) : 2 ))

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVQ_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j"$jobs" --target vq_reliability_tests >/dev/null
figures="$build/chaos-figures.txt"
rm -f "$figures"
echo "== chaos: $launches launches at limit 4 ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
status=0
VQ_CHAOS_LAUNCHES="$launches" VQ_CHAOS_REPORT="$figures" \
  "$build/tests/reliability/vq_reliability_tests" --gtest_brief=1 || status=$?
echo "== figures ($figures)"
cat "$figures" 2>/dev/null || echo "(none: the run did not get as far as the figures)"
exit "$status"
