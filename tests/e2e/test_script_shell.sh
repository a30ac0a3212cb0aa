#!/usr/bin/env bash
# The package managers' script shell (vq-script-shell) is transparent: each case runs once
# through `sh` directly (as npm, pnpm and yarn 1 run it: by name, found on PATH) and once
# through the script shell, and stdout, stderr and the exit
# status must be byte for byte the same (PATH aside, which the script shell changes on purpose:
# its shim directory first, once).
#
# Usage: test_script_shell.sh SCRIPT_SHELL
#   SCRIPT_SHELL  the built vq-script-shell; the shims are beside it (<dir>/shims)
# No process here has LD_PRELOAD. Needs node and npm on PATH for the npm case.
set -uo pipefail

PROG=$(basename "$0")
[[ $# -eq 1 && -x $1 ]] || { echo "$PROG: FAIL: usage: $PROG SCRIPT_SHELL (an executable)" >&2; exit 2; }
SCRIPT_SHELL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SHIMS=$(dirname "$SCRIPT_SHELL")/shims
unset LD_PRELOAD VQ_SCRIPT_SHELL npm_config_script_shell pnpm_config_script_shell
export npm_config_update_notifier=false NO_COLOR=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vq-script-shell.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
failures=0

# same_as_sh NAME ARGS...: run sh ARGS and SCRIPT_SHELL ARGS, each with this stdin, and
# compare all they give back.
same_as_sh() {
  local name=$1; shift
  local a_status b_status
  cat >"$WORK/stdin"
  sh "$@" <"$WORK/stdin" >"$WORK/a.out" 2>"$WORK/a.err"; a_status=$?
  "$SCRIPT_SHELL" "$@" <"$WORK/stdin" >"$WORK/b.out" 2>"$WORK/b.err"; b_status=$?
  if [[ $a_status -eq $b_status ]] && cmp -s "$WORK/a.out" "$WORK/b.out" \
    && cmp -s "$WORK/a.err" "$WORK/b.err"; then
    echo "ok   $name (status $a_status)"
  else
    echo "FAIL $name: sh gave status $a_status, the script shell $b_status; output diff:"
    diff "$WORK/a.out" "$WORK/b.out"; diff "$WORK/a.err" "$WORK/b.err"
    failures=$((failures + 1))
  fi
}
expect() {
  local name=$1 want=$2 got=$3
  if [[ $got == "$want" ]]; then echo "ok   $name"; else
    echo "FAIL $name: want '$want', got '$got'"; failures=$((failures + 1)); fi
}

features='f() { printf "%s|" "$0" "$#" "$@"; echo; }; f a "b c"; x=${UNSET:-dflt}; echo "$x $((6*7))"
case "$1" in p*) echo "case $1";; esac; set -- z; echo "$# $1"; echo err >&2; read -r l; echo "$l"'
same_as_sh "shell features, \$0 and arguments, stdin" -c "$features" name p1 'p 2' <<<"stdin line"
same_as_sh "\$0 without -c arguments" -c 'echo "$0"' </dev/null
same_as_sh "exit 3" -c 'echo before; exit 3' </dev/null
same_as_sh "killed by SIGTERM" -c 'echo x; kill -TERM $$; echo not reached' </dev/null
# `_` is the path the caller's bash exec'd (its own convention), not the shells' doing.
same_as_sh "environment (without PATH)" -c 'env -u PATH -u _ | sort' </dev/null
printf 'echo "file $1"\nexit 4\n' >"$WORK/script.sh"
same_as_sh "a script file" "$WORK/script.sh" one </dev/null

got=$(PATH="/x/node_modules/.bin:$SHIMS:/usr/bin:/bin" "$SCRIPT_SHELL" -c 'printf %s "$PATH"')
expect "shims first on PATH, once" "$SHIMS:/x/node_modules/.bin:/usr/bin:/bin" "$got"
got=$(VQ_SCRIPT_SHELL=/bin/bash "$SCRIPT_SHELL" -c 'printf "%s %s" "$0" "${BASH_VERSION:+bash}"')
expect "a recorded script shell (bash) is chained" "/bin/bash bash" "$got"
"$SCRIPT_SHELL" -c 'exit 0' >"$WORK/quiet" 2>&1
expect "no output of its own" "" "$(cat "$WORK/quiet")"

# npm run build of a non-vitest script, with and without the script shell.
mkdir -p "$WORK/project"
cat >"$WORK/project/package.json" <<'JSON'
{ "name": "p", "version": "1.0.0", "scripts": { "build": "echo built $npm_lifecycle_event && printf '%s\\n' \"$0\" && exit 5" } }
JSON
(cd "$WORK/project" && npm run build >"$WORK/n1.out" 2>"$WORK/n1.err"); n1=$?
(cd "$WORK/project" && npm_config_script_shell=$SCRIPT_SHELL npm run build >"$WORK/n2.out" 2>"$WORK/n2.err"); n2=$?
# npm versions that print the failed command name the shell there (this one does not); the
# rest must be the same.
sed -i "s|$SCRIPT_SHELL|sh|g" "$WORK/n2.err"
if [[ $n1 -eq $n2 ]] && cmp -s "$WORK/n1.out" "$WORK/n2.out" && cmp -s "$WORK/n1.err" "$WORK/n2.err"; then
  echo "ok   npm run build (status $n1)"
else
  echo "FAIL npm run build: status $n1 vs $n2"; diff "$WORK/n1.out" "$WORK/n2.out"; diff "$WORK/n1.err" "$WORK/n2.err"
  failures=$((failures + 1))
fi

[[ $failures -eq 0 ]] && { echo "$PROG: all checks passed"; exit 0; }
echo "$PROG: $failures check(s) failed"; exit 1
