#!/usr/bin/env bash
# The .deb as the project builds it (CPack, from the configured build tree), checked by
# Debian's own checker: lintian reports no error and no warning (each deliberate choice is an
# override in the package, with its reason), and the package carries the manual pages, the
# completions, the copyright file and the changelog.
# usage: test_deb_lintian.sh BUILD_DIR   (exit 77: lintian is not installed; tests/run installs it)
set -euo pipefail
build=$(cd "$1" && pwd)
command -v lintian >/dev/null || { echo "SKIP: lintian is not installed (apt-get install lintian; tests/run installs it)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1; then
  tail -20 "$work/cpack.log"; echo "FAIL: cpack could not build the .deb"; exit 1
fi
deb=$(ls "$work"/vq_*.deb)
failures=0

listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/share/man/man1/vq-admin.1.gz ./usr/share/man/man1/vq-install.1.gz \
            ./usr/share/man/man7/vq.7.gz ./usr/share/bash-completion/completions/vq-admin \
            ./usr/share/zsh/vendor-completions/_vq-admin \
            ./usr/share/fish/vendor_completions.d/vq-admin.fish ./usr/share/doc/vq/copyright \
            ./usr/share/doc/vq/changelog.gz ./usr/share/lintian/overrides/vq; do
  grep -qxF -- "$path" <<<"$listing" || { echo "FAIL: $(basename "$deb") has no $path"; failures=$((failures + 1)); }
done
[ "$failures" -eq 0 ] && echo "ok    $(basename "$deb") has the manual pages, completions, copyright, changelog and overrides"

# Errors and warnings fail (an overridden tag is listed as O:, with its reason as N: lines);
# info tags are shown, not failed on. Root is warned about (lintian unpacks untrusted
# packages), not refused.
out=$(lintian --display-info --show-overrides "$deb" 2>&1) || true
grep -v '^running with root privileges' <<<"$out" || true
if grep -qE '^(E|W): ' <<<"$out"; then
  echo "FAIL: lintian reports errors or warnings (the E: and W: lines above)"; failures=$((failures + 1))
elif ! grep -qE '^(I|O): vq: ' <<<"$out"; then
  echo "FAIL: lintian printed no tag at all, not even the overridden ones; did it run?"; failures=$((failures + 1))
else
  echo "ok    lintian: no errors, no warnings; the overridden tags carry their reason"
fi
[ "$failures" -eq 0 ] || exit 1
