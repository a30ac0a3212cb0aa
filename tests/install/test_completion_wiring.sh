#!/usr/bin/env bash
# What vq-install's profile wires besides PATH, in a throwaway HOME wired by the installed
# vq-install for an installation under a prefix no shell searches by default (cmake --install
# of the build tree); seconds, no Release build:
#   1. an interactive bash has vq-admin's completion (complete -p)
#   2. zsh: a compinit after vq's block finds _vq-admin on fpath; with compinit before the block
#      (as oh-my-zsh has it), the block registers it itself
#   3. fish completes vq-admin's verbs (fish_complete_path)
#   4. man finds the manual pages (man -w, through the PATH the profile sets)
# Usage: test_completion_wiring.sh BUILD_DIR WORK_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
rm -rf "$2"
mkdir -p "$2"
work=$(cd "$2" && pwd)
prefix=$work/prefix
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cmake --install "$build" --prefix "$prefix" >"$work/cmake-install.log" 2>&1 \
  || { tail "$work/cmake-install.log"; echo "FAIL: cmake --install (build the project first)"; exit 1; }

# wire SHELL HOME: the installed vq-install wires HOME as a user whose login shell is SHELL.
wire() {
  mkdir -p "$2"
  env -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME HOME="$2" SHELL="$1" \
    "$prefix/bin/vq-install" --queue-dir "$work/queue" >"$2.log" 2>&1 \
    || { cat "$2.log"; fail "vq-install for SHELL=$1"; }
}
# in_shell HOME COMMAND...: a clean environment, as a new terminal would start it.
in_shell() {
  local home=$1; shift
  timeout 30 env -i HOME="$home" USER="$(id -un)" TERM=dumb PATH=/usr/local/bin:/usr/bin:/bin "$@" </dev/null 2>/dev/null
}

home=$work/bash-home
wire /bin/bash "$home"
out=$(in_shell "$home" bash -i -c 'complete -p vq-admin')
[[ $out == "complete -F _vq_admin vq-admin" ]] && pass "an interactive bash completes vq-admin ($out)" \
  || fail "an interactive bash has no completion for vq-admin: '$out'"
path=$(in_shell "$home" bash -l -c 'man -w vq-admin; man -w 7 vq; man -w vq-install')
expected=$(printf '%s\n' "$prefix/share/man/man1/vq-admin.1.gz" "$prefix/share/man/man7/vq.7.gz" \
  "$prefix/share/man/man1/vq-install.1.gz")
[[ $path == "$expected" ]] && pass "man finds vq-admin(1), vq(7) and vq-install(1) under $prefix/share/man" \
  || fail "man -w in a login shell found '$path', not the installed pages"

if command -v zsh >/dev/null; then
  home=$work/zsh-home
  wire /usr/bin/zsh "$home"
  out=$(in_shell "$home" zsh -i -c 'autoload -Uz compinit && compinit -u -d ~/.zcompdump; print -r -- $_comps[vq-admin]')
  [[ $out == _vq-admin ]] && pass "zsh: a compinit after vq's block finds _vq-admin on fpath" \
    || fail "zsh: compinit after the block did not find _vq-admin: '$out'"
  home=$work/zsh-compinit-first
  mkdir -p "$home"
  printf 'autoload -Uz compinit && compinit -u -d ~/.zcompdump\n' >"$home/.zshrc"
  wire /usr/bin/zsh "$home"
  out=$(in_shell "$home" zsh -i -c 'print -r -- $_comps[vq-admin]')
  [[ $out == _vq-admin ]] && pass "zsh: with compinit before vq's block, the block registers _vq-admin" \
    || fail "zsh: compinit before the block, _vq-admin not registered: '$out'"
else
  echo "skip: zsh is not installed (tests/run installs it)"
fi

if command -v fish >/dev/null; then
  home=$work/fish-home
  wire /usr/bin/fish "$home"
  out=$(in_shell "$home" fish -c 'complete -C "vq-admin do"' | cut -f1)
  [[ $out == doctor ]] && pass "fish completes 'vq-admin do' to doctor" \
    || fail "fish completes 'vq-admin do' to '$out', not doctor"
else
  echo "skip: fish is not installed (tests/run installs it)"
fi

[[ $failures -eq 0 ]] && { echo "test_completion_wiring: all checks passed"; exit 0; }
echo "test_completion_wiring: $failures check(s) failed"
exit 1
