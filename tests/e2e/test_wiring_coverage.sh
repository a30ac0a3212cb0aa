#!/usr/bin/env bash
# Which launchers each wiring WITHOUT the preload queues, measured: no process here has
# LD_PRELOAD. For each launcher x wiring, two concurrent runs at limit 1 in a fresh queue
# directory; a cell is "queued" when the queue log has an admitted line for both runs and the
# fixtures' own records (an observer independent of vq) show the two runs never overlapped, and
# "not queued" when the log has no admitted line. Every cell is asserted against the table in
# README.md ("Which launchers are queued"); anything else fails.
#   wiring "path":    the shim directory first on PATH (what every wiring does)
#   wiring "scripts": that, plus npm_config_script_shell and pnpm_config_script_shell naming
#                     vq-script-shell (what vq-install --wiring scripts sets)
#
#   wiring "preload": only with PRELOAD_LIB: the shim on PATH and LD_PRELOAD=PRELOAD_LIB for the
#                     launches (and their children) only; not in the ctest run, to keep it short
#
# Usage: test_wiring_coverage.sh SCRIPT_SHELL FIXTURE_NPM FIXTURE_PNPM [PRELOAD_LIB]
#   SCRIPT_SHELL  the built vq-script-shell; the shims are beside it (<dir>/shims/vitest)
#   FIXTURE_NPM   fixture-v4 (vitest 4, installed with npm), FIXTURE_PNPM fixture-v5 (pnpm);
#                 both, and pnpm and yarn 1 in tools/, installed by tests/e2e/setup.sh
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")
# shellcheck source=records.sh
source "$E2E_DIR/records.sh"
[[ $# -eq 3 || $# -eq 4 ]] || { echo "usage: $PROG SCRIPT_SHELL FIXTURE_NPM FIXTURE_PNPM [PRELOAD_LIB]" >&2; exit 2; }
PRELOAD_LIB=${4:-}
SCRIPT_SHELL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SHIMS=$(dirname "$SCRIPT_SHELL")/shims
NPM_FIXTURE=$(cd "$2" && pwd) && PNPM_FIXTURE=$(cd "$3" && pwd) || exit 1
TOOLS_BIN=$E2E_DIR/tools/node_modules/.bin
[[ -x $SCRIPT_SHELL && -x $SHIMS/vitest ]] || { echo "$PROG: FAIL: no $SCRIPT_SHELL or $SHIMS/vitest (build vq_script_shell and vq_shim)" >&2; exit 1; }
for f in "$NPM_FIXTURE/node_modules/.bin/vitest" "$PNPM_FIXTURE/node_modules/.bin/vitest" "$TOOLS_BIN/pnpm" "$TOOLS_BIN/yarn"; do
  [[ -e $f ]] || { echo "$PROG: FAIL: no $f: run tests/e2e/setup.sh" >&2; exit 1; }
done

# Nothing from an outer vq, vitest or preload leaks in (tests/run sets LD_PRELOAD for ctest).
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(VQ_|VITEST|npm_|pnpm_|yarn_)' || true)
unset LD_PRELOAD FORCE_COLOR
export NO_COLOR=1 CI=1 npm_config_update_notifier=false VQ_E2E_SLEEP_MS=${VQ_E2E_SLEEP_MS:-300}
clean_path=""
IFS=: read -r -a path_entries <<<"$PATH"
for p in "${path_entries[@]}"; do
  [[ -n $p && -e $p/vitest ]] && continue
  clean_path=${clean_path:+$clean_path:}$p
done
[[ -x $E2E_DIR/tools-node/node_modules/.bin/node ]] && clean_path=$E2E_DIR/tools-node/node_modules/.bin:$clean_path
export PATH=$SHIMS:$TOOLS_BIN:$clean_path
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vq-wiring.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
failures=0
table=""


# cell WIRING EXPECTED(queued|not) FIXTURE COMMAND...: two concurrent runs, then the verdict.
cell() {
  local wiring=$1 expected=$2 fixture=$3; shift 3
  local d; d=$(mktemp -d "$WORK/cell.XXXX")
  local extra=()
  [[ $wiring == scripts ]] && extra=(npm_config_script_shell="$SCRIPT_SHELL" pnpm_config_script_shell="$SCRIPT_SHELL")
  [[ $wiring == preload ]] && extra=(LD_PRELOAD="$PRELOAD_LIB")
  for run in r1 r2; do
    (cd "$fixture" && env "${extra[@]}" VQ_QUEUE_DIR="$d/q" VQ_MAX_PROCESSES=1 VQ_E2E_RECORD="$d/records" \
       VQ_E2E_RUN=$run timeout -k 5 120 "$@" </dev/null >"$d/$run.out" 2>&1; echo $? >"$d/$run.rc") &
  done
  wait
  local admitted overlap rcs verdict
  admitted=$(cat "$d"/q/*.log 2>/dev/null | grep -c 'event=admitted')
  overlap=$(run_overlap "$d"); rcs="$(cat "$d/r1.rc") $(cat "$d/r2.rc")"
  if [[ $rcs != "0 0" ]]; then verdict="failed (exit $rcs)"
  elif [[ $admitted == 2 && $overlap -le 1 ]]; then verdict=queued
  elif [[ $admitted == 0 ]]; then verdict=not
  else verdict="inconsistent"; fi
  local line="$* | $wiring | $verdict (admitted $admitted, overlap $overlap)"
  if [[ $verdict == "$expected" ]]; then echo "ok   $line"; else
    echo "FAIL $line, expected $expected"; failures=$((failures + 1)); tail -5 "$d/r1.out"; fi
  table+="$*|$wiring|$verdict"$'\n'
}

wirings=(path scripts)
[[ -n $PRELOAD_LIB ]] && wirings+=(preload)
for wiring in "${wirings[@]}"; do
  s=not; [[ $wiring != path ]] && s=queued  # package-manager scripts
  x=not; [[ $wiring == preload ]] && x=queued  # launchers that use no script shell
  cell "$wiring" "$s" "$NPM_FIXTURE" npm test
  cell "$wiring" "$s" "$NPM_FIXTURE" npm run test
  cell "$wiring" "$s" "$NPM_FIXTURE" npx vitest run
  cell "$wiring" "$s" "$PNPM_FIXTURE" pnpm test
  cell "$wiring" "$x" "$PNPM_FIXTURE" pnpm exec vitest run
  cell "$wiring" "$x" "$PNPM_FIXTURE" pnpm vitest run
  cell "$wiring" "$s" "$NPM_FIXTURE" yarn test
  cell "$wiring" queued "$NPM_FIXTURE" sh -c 'vitest run'
  cell "$wiring" "$x" "$NPM_FIXTURE" node node_modules/.bin/vitest run
done
echo "measured (launcher|wiring|verdict):"; printf '%s' "$table"
[[ $failures -eq 0 ]] && { echo "$PROG: all cells as expected"; exit 0; }
echo "$PROG: $failures cell(s) not as expected"; exit 1
