#!/usr/bin/env bash
# valgrind_hooks.sh session LIBRARY SHIM FAKE_VITEST PROBE_DIR
# valgrind_hooks.sh control LIBRARY CONTROL_PROGRAM
#
# session: memcheck, following every child, over a bash session under LD_PRELOAD=LIBRARY that
# execs and spawns through the hooks: plain programs, env, the probes for posix_spawn, execvp
# and execve, and vitest launches the library redirects through SHIM into the queue. Passes
# when everything ran, the launches were queued, and no process had a memory error.
# control: the same valgrind command over bash running CONTROL_PROGRAM, which has a deliberate
# memory error: passes only when valgrind reports it (so the session's silence means something).
set -euo pipefail
mode=$1
library=$2

if ! command -v valgrind >/dev/null; then
  echo "FAIL: valgrind is not installed — install it: apt-get install -y valgrind" >&2
  exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vq-valgrind-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Errors only: no leak check (a process that execs leaks by design), every child followed, an
# error makes the process exit 99. All processes log to one file opened for appending, through
# an inherited descriptor: a per-process --log-file is truncated when its process execs (same
# pid), which would lose what the shim logged before exec'ing vitest.
log=$tmp/valgrind.log
exec 9>>"$log"
# The shim is skipped: it is linked statically (the preload never runs in it), and valgrind
# cannot follow a static glibc's own malloc, so it reports false errors there. The shim is checked
# by the AddressSanitizer build instead (linked dynamically there).
valgrind_run() {
  valgrind --error-exitcode=99 --trace-children=yes --trace-children-skip='*/shims/vitest' \
    --leak-check=no --log-fd=9 "$@"
}

# Each followed image logs "Command: …" when it starts; an error logs its stack ("   at 0x…")
# at once, and an image that exits logs "ERROR SUMMARY: N errors". Fails on any error.
check_log() {
  local count errors
  count=$(grep -c '== Command: ' "$log" || true)
  errors=$(grep -cE '== (   at|   by) 0x|ERROR SUMMARY: [1-9]' "$log" || true)
  echo "valgrind followed $count program images; $errors lines of error reports"
  if [ "$count" -lt "$1" ]; then
    echo "FAIL: expected valgrind to follow at least $1 program images" >&2
    cat "$log" >&2
    return 1
  fi
  if [ "$errors" -ne 0 ]; then
    grep -vE '== (Copyright|Using Valgrind|Memcheck, a memory|For lists of|Parent PID|$)' "$log" >&2
    return 1
  fi
}

case "$mode" in
  control)
    control=$3
    set +e
    LD_PRELOAD=$library valgrind_run bash -c '"$1"; exit $?' control "$control"
    status=$?
    set -e
    if [ "$status" -ne 99 ]; then
      echo "FAIL: valgrind did not report the control's memory error (exit $status, want 99)" >&2
      exit 1
    fi
    if check_log 2 >/dev/null 2>&1; then
      echo "FAIL: the valgrind log does not hold the control's error" >&2
      exit 1
    fi
    echo "ok: valgrind reported the deliberate error in a traced child"
    ;;
  session)
    shim=$3
    fake=$4
    probes=$5
    project=$tmp/P
    mkdir -p "$project/node_modules/.bin" "$project/node_modules/vitest" "$tmp/nodebin"
    ln -s "$fake" "$project/node_modules/.bin/vitest"
    : >"$project/node_modules/vitest/vitest.mjs"
    ln -s "$fake" "$tmp/nodebin/node"
    cat >"$tmp/session.sh" <<'EOF'
set -euo pipefail
queued() { grep -q '^env VQ_HOLDER=[0-9]*:[0-9]*$' || { echo "FAIL: $1 was not queued" >&2; exit 1; }; }
/bin/true
echo piped | cat >/dev/null
env | grep -q '^LD_PRELOAD='
"$PROBES/probe_execve" /bin/echo echo execve-ok | grep -qx execve-ok
"$PROBES/probe_posix_spawnp" true true | grep -q 'exited 0'
"$PROJECT/node_modules/.bin/vitest" run | queued "bash exec of .bin/vitest"
env FAKE_ID=env "$PROJECT/node_modules/.bin/vitest" run | queued "env (execvp) of .bin/vitest"
"$PROBES/probe_posix_spawn" "$PROJECT/node_modules/.bin/vitest" vitest run | queued "posix_spawn"
PATH=$PROJECT/node_modules/.bin:$PATH "$PROBES/probe_execvp" vitest vitest run | queued "execvp"
PATH=$NODEBIN:$PATH "$PROBES/probe_execvp" node node "$PROJECT/node_modules/vitest/vitest.mjs" run |
  queued "execvp of node running vitest.mjs"
EOF
    LD_PRELOAD=$library VQ_SHIM=$shim VQ_QUEUE_DIR=$tmp/q FAKE_ECHO_ENV=VQ_HOLDER \
      PROBES=$probes PROJECT=$project NODEBIN=$tmp/nodebin \
      valgrind_run bash "$tmp/session.sh"
    # bash, the programs it ran, and for each queued launch the shim and the fake (same pid).
    check_log 12
    grep -q 'event=admitted' "$tmp"/q/*.log || { echo "FAIL: the queue admitted nothing" >&2; exit 1; }
    echo "ok: no valgrind errors in any process running the hooks"
    ;;
  *)
    echo "usage: $0 session LIBRARY SHIM FAKE_VITEST PROBE_DIR | control LIBRARY PROGRAM" >&2
    exit 2
    ;;
esac
