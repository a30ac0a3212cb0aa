#!/usr/bin/env bash
# check_library_hygiene.sh LIBRARY SYMBOL...
# Fails unless LIBRARY's defined dynamic symbols are exactly SYMBOL... and it has no NEEDED entry
# for the C++ runtime (libstdc++) or libgcc_s: the preload library runs inside every process of a
# session, which must not get another C++ runtime or any symbol of ours beyond the hooks.
set -euo pipefail
library=$1
shift
for tool in nm readelf; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found: install binutils" >&2; exit 1; }
done
[ -f "$library" ] || { echo "error: $library does not exist: build it first" >&2; exit 1; }

status=0
expected=$(printf '%s\n' "$@" | sort)
# "ADDRESS TYPE NAME[@VERSION]"; a versioned symbol would still be an export of that name.
actual=$(nm -D --defined-only "$library" | awk '{print $3}' | sed 's/@.*//' | sort -u)
if [ "$actual" != "$expected" ]; then
  echo "FAIL: $library exports other symbols than the hooks:" >&2
  { diff <(echo "$expected") <(echo "$actual") || true; } |
    sed -n 's/^</  missing:/p; s/^>/  extra:/p' >&2
  status=1
fi
needed=$(readelf -d --wide "$library" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p')
if forbidden=$(grep -E '^(libstdc\+\+|libgcc_s)' <<<"$needed"); then
  echo "FAIL: $library needs the C++ runtime: $(echo $forbidden)" >&2
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "ok: $library exports exactly: $(echo $actual); needs: $(echo $needed)"
fi
exit "$status"
