#!/usr/bin/env bash
# End-to-end test of install/vq-install in a throwaway HOME (the prefix is HOME/.local):
#   1. install with --limit 2 --queue-dir Q into a HOME that already has a user's files: a
#      .bashrc with their own lines and their own LD_PRELOAD entry (no final newline), a
#      .profile that is a symlink into a dotfiles folder (and sources .bashrc, as Debian's does)
#   2. in a fresh `bash -l` and a fresh `sh -l`, unmodified `pnpm test` in fixture-v5 goes through
#      the queue: an admitted line in Q's log for each; `bash -l` keeps the user's LD_PRELOAD
#      entry beside vq's; `vitest` resolves to the shim
#      `zsh -l -i` and `fish -l` (their startup files existed): vitest is the shim, LD_PRELOAD
#      holds vq's library (and zsh the user's), a new process maps it
#   3. a second install changes no file in HOME (sha256, mode, type and link target of every
#      entry, before and after)
#      A library that differs from the build, mapped by a running process: a re-install
#      replaces it by rename (new inode), the process runs on with the old file
#      The installed copy wires a bare HOME (zsh user, symlinked .bashrc to a missing file,
#      dangling .bash_login): created files have the umask's mode, links survive, --uninstall
#      restores that HOME byte for byte and leaves the first HOME's installation alone
#   4. --check passes; with a line after vq's block that puts another `vitest` first on PATH, it
#      fails and names that vitest and the file
#   4b. --wiring scripts|both|preload with the installed copy in a fresh HOME whose .npmrc names
#      bash as script-shell: bash -l gets that wiring's variables (npm_config_script_shell,
#      pnpm_config_script_shell, LD_PRELOAD, VQ_SCRIPT_SHELL=bash), a user's own variable is kept,
#      a re-install changes nothing, --check names the wiring, --uninstall restores HOME
#   5. --uninstall (the installed copy) restores HOME byte for byte: the snapshot taken before
#      the install equals the one after; the queue directory is gone
#   6. `cmake --build B --target package` builds a .deb; `dpkg-deb -c` lists the shim, the
#      library, vq-admin and vq-install under /usr; its only maintainer script is prerm, which
#      touches no shell file; the extracted vq-admin runs
#
# Usage: test_vq_install.sh SOURCE_DIR WORK_DIR FIXTURE_V5
#   WORK_DIR keeps the Release build vq-install makes between runs (the prefix path stays the
#   same, so a second run rebuilds nothing), unless VQ_INSTALL_TEST_BUILD_DIR names another;
#   everything else in it is made afresh.
set -uo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 SOURCE_DIR WORK_DIR FIXTURE_V5" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
fixture=$(cd "$3" && pwd)
e2e_dir=$src/tests/e2e
tools_bin=$e2e_dir/tools/node_modules/.bin
[[ -x $tools_bin/pnpm ]] || { echo "FAIL: no pnpm at $tools_bin/pnpm: run tests/e2e/setup.sh" >&2; exit 1; }
[[ -e $fixture/node_modules/.bin/vitest ]] || { echo "FAIL: $fixture is not installed: run tests/e2e/setup.sh" >&2; exit 1; }

home=$work/home
queue=$work/queue
# VQ_INSTALL_TEST_BUILD_DIR: an existing Release build to reuse (tests/run passes the one the
# quick start's vq-install made); only the preload library, which holds the prefix, rebuilds.
build=${VQ_INSTALL_TEST_BUILD_DIR:-$work/build}
prefix=$home/.local
rm -rf "$home" "$work/home2" "$queue" "$work/other" "$work/xdg" "$work/deb" "$work"/*.deb "$build"/*.deb
mkdir -p "$home/dotfiles" "$work/other" "$work/xdg"

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Every entry of a tree: path, type, mode, link target; then the sha256 of every file.
snapshot() {
  (cd "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort &&
     find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# A user's preload library of their own, which must survive.
cc -shared -fPIC -o "$work/libuser.so" -x c - <<<'int vq_test_user_library;' \
  || { echo "FAIL: cannot build the user's library with cc" >&2; exit 1; }
printf '# the user'"'"'s own bashrc\nalias ll="ls -l"\nexport LD_PRELOAD=%s' "$work/libuser.so" \
  >"$home/.bashrc"
printf '# dotfiles/profile\nif [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then\n  . "$HOME/.bashrc"\nfi\n' \
  >"$home/dotfiles/profile"
ln -s dotfiles/profile "$home/.profile"
printf '# the user'"'"'s zshrc\nexport LD_PRELOAD=%s\n' "$work/libuser.so" >"$home/.zshrc"
mkdir -p "$home/.config/fish"
printf '# the user'"'"'s fish config\nset -gx USER_FISH 1\n' >"$home/.config/fish/config.fish"
before=$(snapshot "$home")

run_install() { env HOME="$home" bash "$src/install/vq-install" --build-dir "$build" "$@"; }

# --- 1. install ---------------------------------------------------------------------------
if out=$(run_install --limit 2 --queue-dir "$queue" 2>&1); then
  pass "vq-install --limit 2 --queue-dir Q exited 0"
else
  echo "$out"
  fail "vq-install exited non-zero"
  exit 1
fi
echo "$out" | sed 's/^/  | /'
[[ -L $home/.profile ]] && pass ".profile is still a symlink (its target got the block)" \
  || fail ".profile is no longer a symlink"

# --- 2. pnpm test in new login shells ----------------------------------------------------------
admitted() { cat "$queue"/*.log 2>/dev/null | grep -c 'event=admitted'; }
node_dir=""
[[ -x $e2e_dir/tools-node/node_modules/.bin/node ]] && node_dir=$e2e_dir/tools-node/node_modules/.bin
for shell in "bash -l" "sh -l"; do
  before_count=$(admitted)
  # As a user's new terminal: nothing inherited but HOME and TERM. Caches of pnpm and node go
  # outside HOME (they are not vq's to undo). pnpm and a new enough node are added after the
  # shell's startup files ran, behind the shim.
  shell_out=$(cd "$fixture" && env -i HOME="$home" TERM=dumb PATH=/usr/bin:/bin \
    XDG_CACHE_HOME="$work/xdg/cache" XDG_DATA_HOME="$work/xdg/data" XDG_STATE_HOME="$work/xdg/state" \
    XDG_CONFIG_HOME="$work/xdg/config" npm_config_update_notifier=false CI=1 \
    NODE_DIR="$node_dir" TOOLS_BIN="$tools_bin" $shell -c '
      printf "vitest=%s\n" "$(command -v vitest)"
      printf "ld_preload=%s\n" "$LD_PRELOAD"
      first=${PATH%%:*}
      PATH="$first${NODE_DIR:+:$NODE_DIR}:$TOOLS_BIN:${PATH#*:}"
      pnpm test >pnpm.out 2>&1; printf "pnpm_exit=%s\n" "$?"' 2>&1)
  after_count=$(admitted)
  if grep -qx "pnpm_exit=0" <<<"$shell_out"; then
    pass "$shell: pnpm test exited 0"
  else
    fail "$shell: pnpm test failed: $shell_out"; cat "$fixture/pnpm.out" 2>/dev/null | tail -20
  fi
  rm -f "$fixture/pnpm.out"
  if [[ $after_count -eq $((before_count + 1)) ]]; then
    pass "$shell: the run went through the queue (admitted lines in Q's log: $before_count -> $after_count)"
  else
    fail "$shell: admitted lines in Q's log went $before_count -> $after_count, not +1"
  fi
  grep -qx "vitest=$prefix/lib/vq/shims/vitest" <<<"$shell_out" \
    && pass "$shell: vitest resolves to the shim" || fail "$shell: vitest does not resolve to the shim: $shell_out"
  if [[ $shell == "bash -l" ]]; then
    grep -qx "ld_preload=$prefix/lib/vq/libvq-preload.so:$work/libuser.so" <<<"$shell_out" \
      && pass "bash -l: LD_PRELOAD holds vq's library and the user's own" \
      || fail "bash -l: LD_PRELOAD is not vq's library then the user's: $shell_out"
  fi
done
# zsh and fish users: ~/.zshrc and config.fish existed, so they got the block too.
for shell in "zsh -l -i" "fish -l"; do
  command -v "${shell%% *}" >/dev/null || { fail "${shell%% *} is not installed (tests/run installs it)"; continue; }
  # fish keeps its history under XDG_DATA_HOME: outside HOME, it is not vq's to undo.
  shell_out=$(env -i HOME="$home" TERM=dumb PATH=/usr/bin:/bin XDG_DATA_HOME="$work/xdg/data" \
    XDG_CACHE_HOME="$work/xdg/cache" $shell -c \
    'echo "vitest=$(command -v vitest)"; echo "ld_preload=$LD_PRELOAD"; echo "mapped=$(grep -c libvq-preload /proc/self/maps)"; echo "limit=$VQ_MAX_PROCESSES"' 2>/dev/null)
  expected_ld=$prefix/lib/vq/libvq-preload.so
  [[ $shell == zsh* ]] && expected_ld=$expected_ld:$work/libuser.so
  if grep -qx "vitest=$prefix/lib/vq/shims/vitest" <<<"$shell_out" && grep -qx "ld_preload=$expected_ld" <<<"$shell_out" \
    && ! grep -qx "mapped=0" <<<"$shell_out" && grep -qx "limit=2" <<<"$shell_out"; then
    pass "$shell: vitest resolves to the shim, LD_PRELOAD=$expected_ld and a new process maps it, limit 2"
  else
    fail "$shell: not wired: $shell_out"
  fi
done
grep -q 'limit=2\|"limit": 2\|Limit: 2' <(env VQ_QUEUE_DIR="$queue" "$prefix/bin/vq-admin" status 2>&1) \
  && pass "vq-admin status shows the configured limit 2" || fail "vq-admin status does not show limit 2"

# --- 3. a second install changes nothing ---------------------------------------------------
first=$(snapshot "$home")
run_install >/dev/null 2>&1 || fail "the second vq-install exited non-zero"
second=$(snapshot "$home")
if [[ $first == "$second" ]]; then
  pass "a second install changed no file in HOME ($(grep -c . <<<"$first") entries and checksums compared)"
else
  fail "a second install changed HOME:"; diff <(echo "$first") <(echo "$second") | head -20
fi

# --- 3b. an upgrade replaces files by rename --------------------------------------------------
# A library that differs from the build (as after an upgrade) while a process has it mapped: the
# re-install must give it a new inode and leave the running process its old file, never rewrite
# the mapped file in place (nor a running shim: ETXTBSY).
library=$prefix/lib/vq/libvq-preload.so
cp -p "$library" "$work/lib.old" && printf 'x' >>"$work/lib.old" && mv -f "$work/lib.old" "$library"
old_inode=$(stat -c %i "$library")
LD_PRELOAD=$library sleep 120 &
sleeper=$!
sleep 0.3
run_install >/dev/null 2>&1 || fail "the re-install over a changed library exited non-zero"
new_inode=$(stat -c %i "$library")
if [[ $new_inode != "$old_inode" ]] && kill -0 "$sleeper" 2>/dev/null \
  && grep -q "libvq-preload.so (deleted)" "/proc/$sleeper/maps"; then
  pass "a changed library was replaced by rename (inode $old_inode -> $new_inode); the process mapping the old one runs on"
else
  fail "the library was not replaced by rename (inode $old_inode -> $new_inode) or the process mapping it died"
fi
kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null
[[ $(snapshot "$home") == "$second" ]] && pass "after the re-install HOME is as after the first install" \
  || fail "the re-install left HOME different from the first install"

# --- 3c. the installed copy wires another HOME -----------------------------------------------
# A zsh user with no startup files but a dotfiles link to a missing .bashrc, and a dangling
# .bash_login (a missing file is not created there: bash would then skip .profile). The
# installed vq-install (no sources) wires the installation it belongs to; created files get
# the umask's mode; --uninstall removes them and keeps both links.
home2=$work/home2
rm -rf "$home2"; mkdir -p "$home2/dotfiles"
ln -s dotfiles/bashrc "$home2/.bashrc"
ln -s dotfiles/bash_login "$home2/.bash_login"
before2=$(snapshot "$home2")
if (umask 022; env HOME="$home2" SHELL=/usr/bin/zsh "$prefix/bin/vq-install" >"$work/home2.out" 2>&1); then
  modes=$(cd "$home2" && stat -c '%n %a' .profile dotfiles/bashrc .zshrc 2>&1 | tr '\n' ' ')
  if [[ $modes == ".profile 644 dotfiles/bashrc 644 .zshrc 644 " ]] && [[ -L $home2/.bashrc ]] \
    && [[ ! -e $home2/.bash_login ]] && [[ -L $home2/.bash_login ]]; then
    pass "installed copy wired a bare HOME: created $modes(umask 022), .bashrc link kept, dangling .bash_login left alone"
  else
    fail "installed copy in a bare HOME: modes '$modes', links: $(ls -l "$home2" | tr '\n' ' ')"
  fi
  out2=$(env -i HOME="$home2" TERM=dumb PATH=/usr/bin:/bin zsh -l -i -c 'command -v vitest' 2>/dev/null)
  [[ $out2 == "$prefix/lib/vq/shims/vitest" ]] && pass "a zsh user's new terminal finds the shim" \
    || fail "a zsh user's new terminal: vitest is '$out2'"
  env HOME="$home2" "$prefix/bin/vq-install" --uninstall >/dev/null 2>&1 || fail "--uninstall in HOME2 failed"
  [[ $(snapshot "$home2") == "$before2" ]] && pass "--uninstall restored the bare HOME byte for byte (links kept, created files gone)" \
    || { fail "HOME2 differs after --uninstall:"; diff <(echo "$before2") <(snapshot "$home2") | head; }
else
  fail "the installed vq-install failed in a bare HOME:"; cat "$work/home2.out"
fi
[[ -x $prefix/lib/vq/shims/vitest ]] && pass "HOME2's uninstall left the installation it did not install" \
  || fail "HOME2's uninstall removed files of HOME1's installation"

# --- 4. --check -------------------------------------------------------------------------------
check_out=$(env HOME="$home" SHELL=/bin/bash "$prefix/bin/vq-install" --check 2>&1)
check_status=$?
[[ $check_status -eq 0 ]] && grep -q "check passed" <<<"$check_out" \
  && pass "--check passes on the fresh install" || { fail "--check failed on the fresh install"; echo "$check_out"; }
printf '#!/bin/sh\necho not vq\n' >"$work/other/vitest"
chmod +x "$work/other/vitest"
cp "$home/.bashrc" "$work/bashrc.saved"
printf 'export PATH=%s:$PATH\n' "$work/other" >>"$home/.bashrc"
check_out=$(env HOME="$home" SHELL=/bin/bash "$prefix/bin/vq-install" --check 2>&1)
check_status=$?
echo "$check_out" | grep -E 'FAIL|fix:' | sed 's/^/  | /'
if [[ $check_status -eq 1 ]] && grep -q "FAIL  vitest resolves to $work/other/vitest" <<<"$check_out" \
  && grep -q "mentioned in: $home/.bashrc" <<<"$check_out"; then
  pass "--check reports the broken PATH (exit 1, names $work/other/vitest and .bashrc)"
else
  fail "--check did not report the broken PATH (exit $check_status)"; echo "$check_out"
fi
cat "$work/bashrc.saved" >"$home/.bashrc"

# --- 4b. each wiring, with the installed copy in a throwaway HOME -------------------------------
# The user's .npmrc names their own script shell (bash): the scripts wiring chains to it. For each
# wiring: a bash login shell sees exactly that wiring's variables, a user's own
# npm_config_script_shell is kept, a re-install changes nothing, --check passes and names the
# wiring, --uninstall restores that HOME byte for byte.
home3=$work/home3
script_shell=$prefix/lib/vq/vq-script-shell
library=$prefix/lib/vq/libvq-preload.so
wired_env() {
  env -i HOME="$home3" TERM=dumb PATH=/usr/bin:/bin "$@" bash -l -c \
    'printf "%s|%s|%s|%s" "${npm_config_script_shell:-}" "${pnpm_config_script_shell:-}" "${LD_PRELOAD:-}" "${VQ_SCRIPT_SHELL:-}"'
}
in_home3() { env -u XDG_CONFIG_HOME -u XDG_STATE_HOME HOME="$home3" "$prefix/bin/vq-install" "$@"; }
for wiring in scripts both preload; do
  rm -rf "$home3" && mkdir -p "$home3"
  printf '# the user'"'"'s bashrc\nalias ll="ls -l"\n' >"$home3/.bashrc"
  printf 'script-shell=/bin/bash\n' >"$home3/.npmrc"
  before3=$(snapshot "$home3")
  in_home3 --wiring "$wiring" >"$work/wiring.log" 2>&1 || { fail "--wiring $wiring: install failed"; cat "$work/wiring.log"; continue; }
  case $wiring in
    scripts) want="$script_shell|$script_shell||/bin/bash" ;;
    both) want="$script_shell|$script_shell|$library|/bin/bash" ;;
    preload) want="||$library|" ;;
  esac
  got=$(wired_env)
  [[ $got == "$want" ]] && pass "--wiring $wiring: bash -l has npm|pnpm script shell|LD_PRELOAD|chained = $got" \
    || fail "--wiring $wiring: bash -l has '$got', want '$want'"
  if [[ $wiring != preload ]]; then
    got=$(wired_env npm_config_script_shell=/bin/dash)
    [[ ${got%%|*} == /bin/dash ]] && pass "--wiring $wiring: the user's own npm_config_script_shell is kept" \
      || fail "--wiring $wiring: the user's npm_config_script_shell was replaced: $got"
  fi
  first3=$(snapshot "$home3")
  in_home3 >/dev/null 2>&1 || fail "--wiring $wiring: the re-install (without --wiring) failed"
  [[ $(snapshot "$home3") == "$first3" ]] && pass "--wiring $wiring: a re-install changed nothing" \
    || fail "--wiring $wiring: a re-install changed HOME"
  check3=$(SHELL=/bin/bash in_home3 --check 2>&1); check3_status=$?
  [[ $check3_status -eq 0 ]] && grep -q "wiring: $wiring (" <<<"$check3" && pass "--wiring $wiring: --check passes and names the wiring" \
    || { fail "--wiring $wiring: --check"; echo "$check3"; }
  in_home3 --uninstall >/dev/null 2>&1 || fail "--wiring $wiring: --uninstall failed"
  [[ $(snapshot "$home3") == "$before3" ]] && pass "--wiring $wiring: --uninstall restored HOME byte for byte" \
    || { fail "--wiring $wiring: HOME differs after --uninstall"; diff <(echo "$before3") <(snapshot "$home3") | head; }
done
rm -rf "$home3"

# --- 5. --uninstall -----------------------------------------------------------------------------
if env HOME="$home" "$prefix/bin/vq-install" --uninstall; then
  pass "--uninstall exited 0"
else
  fail "--uninstall exited non-zero"
fi
after=$(snapshot "$home")
if [[ $before == "$after" ]]; then
  pass "--uninstall restored HOME byte for byte ($(grep -c . <<<"$before") entries and checksums compared)"
else
  fail "HOME differs from before the install:"; diff <(echo "$before") <(echo "$after") | head -20
fi
[[ ! -e $queue ]] && pass "the idle queue directory is gone" || fail "the queue directory $queue is still there"

# --- 6. the .deb ---------------------------------------------------------------------------------
if cmake --build "$build" --target package >"$work/package.log" 2>&1; then
  deb=$(ls "$build"/vq_*.deb 2>/dev/null | head -n 1)
  listing=$(dpkg-deb -c "$deb")
  missing=()
  for f in ./usr/lib/vq/shims/vitest ./usr/lib/vq/libvq-preload.so ./usr/bin/vq-admin ./usr/bin/vq-install; do
    grep -q " $f\$" <<<"$listing" || missing+=("$f")
  done
  if [[ ${#missing[@]} -eq 0 ]] && ! grep -v ' \./usr/' <<<"$listing" | grep -q .; then
    pass "$(basename "$deb") lists the shim, the library, vq-admin and vq-install, all under ./usr/"
  else
    fail "the .deb lacks ${missing[*]:-nothing} or has files outside /usr:"; echo "$listing"
  fi
  mkdir -p "$work/deb/control"
  dpkg-deb -e "$deb" "$work/deb/control"
  scripts=$(cd "$work/deb/control" && ls | grep -Ev '^(control|md5sums|conffiles)$' | tr '\n' ' ')
  if [[ $scripts == "prerm " ]] && ! grep -Eq 'HOME|profile|bashrc|zshrc' "$work/deb/control/prerm"; then
    pass "the only maintainer script is prerm, and it touches no shell file"
  else
    fail "maintainer scripts: '$scripts'"
  fi
  dpkg-deb -x "$deb" "$work/deb/root"
  "$work/deb/root/usr/bin/vq-admin" --help >/dev/null 2>&1 \
    && pass "the packaged vq-admin runs" || fail "the packaged vq-admin does not run"
else
  tail -20 "$work/package.log"
  fail "cmake --build --target package failed"
fi

echo
if [[ $failures -eq 0 ]]; then
  echo "test_vq_install: all checks passed"
  exit 0
fi
echo "test_vq_install: $failures check(s) failed"
exit 1
