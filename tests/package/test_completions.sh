#!/usr/bin/env bash
# The generated completions against the real vq-admin: bash completes every verb `vq-admin
# --help` lists (and each verb's options from `vq-admin VERB --help`), --queue-dir completes
# directories; zsh autoloads and registers its function from fpath; fish completes the verbs.
# usage: test_completions.sh BUILD_DIR (with BUILD/admin/vq-admin and BUILD/completions/)
set -euo pipefail
build=$(cd "$1" && pwd)
admin=$build/admin/vq-admin
dir=$build/completions
failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }

# The oracle: vq-admin's own help, not the generator's input.
verbs=$("$admin" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$verbs" ] || { echo "FAIL  vq-admin --help lists no verbs"; exit 1; }
options_of() { "$admin" "$1" --help | sed -n 's/^  \(-[a-z],\)\{0,1\}\(--[a-z-]*\).*/\2/p'; }

# bash_complete WORD...: what the bash completion offers for the last word.
bash_complete() {
  bash --norc --noprofile -c '
    source "$1"; shift
    complete -p vq-admin >/dev/null || { echo "no completion registered" >&2; exit 1; }
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _vq_admin; printf "%s\n" "${COMPREPLY[@]}"' bash "$dir/bash/vq-admin" "$@"
}

offered=$(bash_complete vq-admin '')
missing=()
for verb in $verbs; do grep -qxF -- "$verb" <<<"$offered" || missing+=("$verb"); done
[ ${#missing[@]} -eq 0 ] && pass "bash completes every verb: $(echo $verbs)" \
  || fail "bash does not complete the verbs ${missing[*]} (offered: $(echo $offered))"

[ "$(bash_complete vq-admin st)" = status ] && pass "bash completes 'st' to status" \
  || fail "bash completes 'st' to '$(bash_complete vq-admin st)', not status"

for verb in $verbs; do
  offered=$(bash_complete vq-admin "$verb" --)
  missing=()
  for option in $(options_of "$verb"); do grep -qxF -- "$option" <<<"$offered" || missing+=("$option"); done
  [ ${#missing[@]} -eq 0 ] || fail "bash does not complete $verb's options ${missing[*]}"
done
[ "$failures" -eq 0 ] && pass "bash completes each verb's options (from vq-admin VERB --help)"

scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT
mkdir "$scratch/queue-here"
offered=$(cd "$scratch" && bash_complete vq-admin --queue-dir queue)
[ "$offered" = queue-here ] && pass "bash completes --queue-dir's value with directories" \
  || fail "bash completes --queue-dir queue to '$offered', not queue-here"

if command -v zsh >/dev/null; then
  out=$(zsh -fc '
    fpath=("$1" $fpath)
    autoload -Uz compinit && compinit -u -d "$2/zcompdump"
    print -r -- "$_comps[vq-admin]"' zsh "$dir/zsh" "$scratch" 2>&1) || true
  [ "$out" = _vq-admin ] && pass "zsh's compinit finds _vq-admin in fpath and registers it" \
    || fail "zsh did not register _vq-admin from fpath: $out"
  out=$(zsh -fc 'autoload -Uz compinit && compinit -u -d "$2/zcompdump"; source "$1" && print -r -- "$_comps[vq-admin]"' \
    zsh "$dir/zsh/_vq-admin" "$scratch" 2>&1) || true
  [ "$out" = _vq-admin ] && pass "zsh: sourcing _vq-admin after compinit registers it" \
    || fail "zsh: sourcing _vq-admin failed: $out"
else
  echo "skip  zsh is not installed (tests/run installs it)"
fi

if command -v fish >/dev/null; then
  offered=$(fish --no-config -c 'source $argv[1]; and complete -C "vq-admin "' "$dir/fish/vq-admin.fish" 2>&1 | cut -f1) || true
  missing=()
  for verb in $verbs; do grep -qxF -- "$verb" <<<"$offered" || missing+=("$verb"); done
  [ ${#missing[@]} -eq 0 ] && pass "fish completes every verb" \
    || fail "fish does not complete ${missing[*]} (it printed: $(echo $offered))"
  offered=$(fish --no-config -c 'source $argv[1]; and complete -C "vq-admin reset --"' "$dir/fish/vq-admin.fish" 2>&1 | cut -f1) || true
  grep -qxF -- --force <<<"$offered" && pass "fish completes reset --force" \
    || fail "fish does not complete reset --force (it printed: $(echo $offered))"
else
  echo "skip  fish is not installed (tests/run installs it)"
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
