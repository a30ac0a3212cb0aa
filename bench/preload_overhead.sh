#!/usr/bin/env bash
# What the preload library costs processes that are not vitest launches.
#
# Usage: bench/preload_overhead.sh [BUILD_DIR] [--count N] [--rounds R]
#
#   exec loop:  bash running N x /bin/true      (bash's fork + execve, hooked)
#   spawn loop: a C program posix_spawn-ing N x /bin/true  (posix_spawn, hooked)
#   RSS:        VmRSS of a small C program at start
#
# Three variants each: no preload (the baseline), an empty library linked like vq's (the price
# of LD_PRELOAD itself), and libvq-preload.so.
#
# Each round runs the variant without and with LD_PRELOAD back to back (order alternating), so
# both see the same machine load; the figures are medians over the rounds. CPU is user+system
# time of the loop and its children, less disturbed by other load than wall time.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
count=2000
rounds=7
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) build=$1; shift ;;
  esac
done
lib="$build/libvq-preload.so"
empty="$build/bench/libempty-preload.so"
spawn_loop="$build/bench/spawn_loop"
rss_probe="$build/bench/rss_probe"
for file in "$lib" "$empty" "$spawn_loop" "$rss_probe"; do
  [ -e "$file" ] || { echo "preload_overhead.sh: $file is missing — build first: cmake --build $build" >&2; exit 1; }
done

# "wall cpu" seconds of one run of "$@", with LD_PRELOAD set to $1 (empty: unset).
measure() {
  local preload=$1; shift
  local TIMEFORMAT='%R %U %S' out
  if [ -n "$preload" ]; then
    out=$( { time LD_PRELOAD=$preload "$@" >/dev/null; } 2>&1 )
  else
    out=$( { time env -u LD_PRELOAD "$@" >/dev/null; } 2>&1 )
  fi
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' <<<"$out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One table row per variant: no preload (the baseline), the empty library, vq's library.
bench() {
  local name=$1; shift
  local variants=("" "$empty" "$lib") labels=("no preload" "empty preload" "libvq-preload")
  local -a walls=() cpus=()
  local r i k w c
  for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < 3; k++)); do
      i=$(( (r + k) % 3 ))  # rotate the order so no variant always runs first
      read -r w c < <(measure "${variants[$i]}" "$@")
      walls[$i]+="$w "; cpus[$i]+="$c "
    done
  done
  local base_wall base_cpu wall cpu
  base_wall=$(tr ' ' '\n' <<<"${walls[0]}" | grep . | median)
  base_cpu=$(tr ' ' '\n' <<<"${cpus[0]}" | grep . | median)
  for ((i = 0; i < 3; i++)); do
    wall=$(tr ' ' '\n' <<<"${walls[$i]}" | grep . | median)
    cpu=$(tr ' ' '\n' <<<"${cpus[$i]}" | grep . | median)
    awk -v n="$name" -v l="${labels[$i]}" -v w="$wall" -v c="$cpu" -v bw="$base_wall" -v bc="$base_cpu" \
      'BEGIN { printf "| %-30s | %-14s | %8.3f s | %6.3f | %8.3f s | %6.3f |\n", n, l, w, w / bw, c, c / bc }'
  done
}

echo "preload overhead: $count execs per loop, median of $rounds rounds, $(nproc) cores, $(date -u +%FT%TZ)"
echo
echo "| loop                           | variant        | wall       | ratio  | cpu        | ratio  |"
echo "|--------------------------------|----------------|------------|--------|------------|--------|"
bench "bash: $count x /bin/true" bash -c "for ((i = 0; i < $count; i++)); do /bin/true; done"
bench "posix_spawn: $count x /bin/true" "$spawn_loop" "$count" /bin/true

rss() {
  local preload=$1 values=() i
  for ((i = 0; i < 15; i++)); do
    if [ -n "$preload" ]; then values+=("$(LD_PRELOAD=$preload "$rss_probe")")
    else values+=("$(env -u LD_PRELOAD "$rss_probe")"); fi
  done
  printf '%s\n' "${values[@]}" | median
}
base_rss=$(rss ""); empty_rss=$(rss "$empty"); pre_rss=$(rss "$lib")
echo
echo "RSS at start of a small C program (median of 15): no preload $base_rss KiB, empty preload" \
     "$empty_rss KiB, libvq-preload $pre_rss KiB: vq adds $((pre_rss - base_rss)) KiB" \
     "(target: at most 64 KiB)"
