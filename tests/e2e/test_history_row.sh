#!/usr/bin/env bash
# End-to-end: a real vitest run through the shim gets its history row, written by its watcher
# (vq-watch), naming the vitest version and the project, and ending `exited 0`.
#
# Usage: test_history_row.sh SHIM_DIR FIXTURE_DIR
# The row is read with the sqlite3 command-line tool straight from the database file the run was
# told to use (VQ_HISTORY), not through vq.
set -uo pipefail
PROG=$(basename "$0")
if [[ $# -ne 2 ]]; then
  echo "usage: $PROG SHIM_DIR FIXTURE_DIR" >&2
  exit 2
fi
SHIM_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "$PROG: FAIL: shim dir $1 does not exist" >&2; exit 1; }
FIXTURE_DIR=$(cd "$2" 2>/dev/null && pwd) || { echo "$PROG: FAIL: fixture dir $2 does not exist" >&2; exit 1; }
if [[ ! -e $FIXTURE_DIR/node_modules/.bin/vitest ]]; then
  echo "$PROG: FAIL: $(basename "$FIXTURE_DIR") has no node_modules/.bin/vitest: run tests/e2e/setup.sh" >&2
  exit 1
fi
command -v sqlite3 >/dev/null || { echo "$PROG: FAIL: sqlite3 is not installed (Debian package sqlite3)" >&2; exit 1; }
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -x $E2E_DIR/tools-node/node_modules/.bin/node ]]; then
  PATH=$E2E_DIR/tools-node/node_modules/.bin:$PATH
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/history.db
want_version=$(node -p "require('$FIXTURE_DIR/node_modules/vitest/package.json').version")

(cd "$FIXTURE_DIR" && env PATH="$SHIM_DIR:$PATH" VQ_QUEUE_DIR="$tmp/queue" VQ_HISTORY="$db" \
  VQ_E2E_RECORD="$tmp/record" VQ_E2E_SLEEP_MS=200 timeout 120 vitest run >"$tmp/out" 2>&1)
status=$?
if [[ $status -ne 0 ]]; then
  echo "$PROG: FAIL: vitest run exited $status" >&2
  cat "$tmp/out" >&2
  exit 1
fi

# The watcher writes the row just after the run ends: allow it a few seconds.
row=""
for _ in $(seq 50); do
  if [[ -e $db ]]; then
    row=$(sqlite3 -separator '|' "$db" "SELECT * FROM runs" 2>/dev/null | head -1)
    [[ -n $row ]] && break
  fi
  sleep 0.1
done
if [[ -z $row ]]; then
  echo "$PROG: FAIL: no history row in $db" >&2
  exit 1
fi
fail=0
fields=$(sqlite3 -line "$db" "SELECT * FROM runs LIMIT 1")
check() {  # COLUMN EXPECTED
  local got
  got=$(printf '%s\n' "$fields" | sed -n "s/^ *$1 = //p")
  if [[ $got == "$2" ]]; then
    echo "$PROG: ok: $1 = $got"
  else
    echo "$PROG: FAIL: $1 = '$got', expected '$2'" >&2
    fail=1
  fi
}
check vitest_version "$want_version"
check project "$FIXTURE_DIR"
check end_kind "exited"
check end_code "0"
[[ $fail -eq 0 ]] || { printf '%s\n' "$fields" >&2; exit 1; }
echo "$PROG: PASS"
