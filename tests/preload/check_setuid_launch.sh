#!/usr/bin/env bash
# check_setuid_launch.sh LIBRARY SHIM HELPER
# A setuid-root program run by an ordinary user (ruid 65534, euid 0) must not let that user's
# VQ_* variables choose what it runs: with the library in /etc/ld.so.preload its hooks pass a
# vitest launch through (VQ_SHIM ignored), and the shim it execs ignores VQ_REAL_VITEST,
# VQ_REDIRECT and VQ_QUEUE_DIR and runs the real vitest unqueued. The control runs the same
# helper without the setuid bit: there the user's VQ_SHIM is honoured, which shows the hooks are
# really loaded from ld.so.preload.
#
# Everything happens in a private mount namespace: a tmpfs without nosuid holds a setuid-root
# copy of HELPER, and /etc gets an overlay whose ld.so.preload names the library. The machine's
# /etc is never written. Exit 77 (skipped) when not root or a namespace, tmpfs or overlay
# cannot be made.
set -euo pipefail
library=$1 shim=$2 helper=$3
skip() { echo "skipped: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (to mount and to make a setuid-root copy)"
command -v unshare >/dev/null && command -v setpriv >/dev/null || skip "needs unshare and setpriv (util-linux)"
unshare -m --propagation private true 2>/dev/null || skip "cannot make a private mount namespace"

inside() {
  set -euo pipefail
  local t
  t=$(mktemp -d /tmp/vq-setuid-XXXXXX)
  mount -t tmpfs -o mode=0755 tmpfs "$t" || { echo "skipped: cannot mount a tmpfs" >&2; exit 77; }
  mkdir -p "$t/lib/shims" "$t/p/node_modules/.bin" "$t/out" "$t/etc-up" "$t/etc-work"
  chmod 1777 "$t/out"
  cp "$library" "$t/lib/libvq-preload.so"
  cp "$shim" "$t/lib/shims/vitest"
  cp "$helper" "$t/setuid-helper"
  cp "$helper" "$t/plain-helper"
  chmod 4755 "$t/setuid-helper"
  # Each records who ran it (effective uid) and what it was given; "sh -p" keeps the effective
  # uid that dash would otherwise drop to the real one.
  printf '#!/bin/sh -p\necho "target euid=$(id -u) $*" >>%s/out/record\n' "$t" >"$t/p/node_modules/.bin/vitest"
  printf '#!/bin/sh -p\necho "user program euid=$(id -u) $*" >>%s/out/record\n' "$t" >"$t/evil"
  chmod 0755 "$t/p/node_modules/.bin/vitest" "$t/evil"
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$t/etc-up,workdir=$t/etc-work" /etc ||
    { echo "skipped: cannot mount an overlay over /etc in the namespace" >&2; exit 77; }
  echo "$t/lib/libvq-preload.so" >/etc/ld.so.preload

  local user=(setpriv --reuid 65534 --regid 65534 --clear-groups)
  local vq_env=(env -i PATH="$t/p/node_modules/.bin:/usr/bin:/bin" VQ_SHIM="$t/evil"
    VQ_REAL_VITEST="$t/evil" VQ_QUEUE_DIR="$t/out/q" VQ_DEBUG=1)
  local status=0 record
  expect_record() {
    record=$(cat "$t/out/record" 2>/dev/null || true)
    if [ "$record" != "$2" ]; then
      echo "FAIL: $1: expected '$2', got '$record'" >&2
      status=1
    else
      echo "ok: $1: $record"
    fi
    rm -f "$t/out/record"
  }

  # Control: no setuid bit, the user's own process: VQ_SHIM chooses the shim.
  (cd "$t/p" && "${user[@]}" "${vq_env[@]}" "$t/plain-helper" "$t/p/node_modules/.bin/vitest" vitest run) || true
  expect_record "control (not setuid): the user's VQ_SHIM is honoured" "user program euid=65534 run"

  # The hooks in the setuid program: the launch runs as asked, VQ_SHIM is not used.
  (cd "$t/p" && "${user[@]}" "${vq_env[@]}" "$t/setuid-helper" "$t/p/node_modules/.bin/vitest" vitest run) || true
  expect_record "setuid program's hooks" "target euid=0 run"

  # The shim run by the setuid program (as one that runs vitest from PATH would): neither
  # VQ_REAL_VITEST nor a VQ_REDIRECT the user set picks the program, no queue directory is made.
  (cd "$t/p" && "${user[@]}" "${vq_env[@]}" VQ_REDIRECT="1:$t/evil" "$t/setuid-helper" "$t/lib/shims/vitest" vitest run) 2>"$t/shim.err" || true
  expect_record "shim started by the setuid program" "target euid=0 run"
  if [ -e "$t/out/q" ]; then echo "FAIL: the shim made the user's VQ_QUEUE_DIR $t/out/q" >&2; status=1; fi
  grep -q "vq: warning: started with raised privileges" "$t/shim.err" ||
    { echo "FAIL: the shim did not warn: $(cat "$t/shim.err")" >&2; status=1; }

  umount /etc
  umount "$t"
  rmdir "$t"
  exit "$status"
}
export library shim helper
export -f inside
exec unshare -m --propagation private bash -c inside
