#!/usr/bin/env bash
# The built manual pages render without a warning, with groff at its strictest (-ww) and with
# man -l as a user would read them (lintian's check too), and each has its NAME section.
# usage: test_manual_pages.sh BUILD_DIR (pages in BUILD/docs/man/)
set -euo pipefail
dir=$1/docs/man
failures=0
for page in vq-admin.1 vq-install.1 vq.7; do
  file=$dir/$page
  if [ ! -s "$file" ]; then
    echo "FAIL  $file is missing: build the vq_man_pages target"; failures=$((failures + 1)); continue
  fi
  warnings=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$file" 2>&1)
  warnings+=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$file" 2>&1 >/dev/null)
  text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$file" 2>/dev/null)
  if [ -n "$warnings" ]; then
    echo "FAIL  $page renders with warnings:"; echo "$warnings"; failures=$((failures + 1))
  elif ! grep -q "^NAME" <<<"$text" || ! grep -q "^       ${page%.*} - " <<<"$text"; then
    echo "FAIL  $page has no NAME section naming ${page%.*}:"; head -5 <<<"$text"; failures=$((failures + 1))
  else
    echo "ok    $page renders without warnings ($(wc -l <<<"$text") lines)"
  fi
done
[ "$failures" -eq 0 ] || exit 1
