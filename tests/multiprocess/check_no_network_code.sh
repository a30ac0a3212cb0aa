#!/bin/bash
# The shim runs on every vitest launch and stays free of network code: no hiredis (nor any
# other Redis client) linked into it, even with VQ_CLUSTER set (its watcher talks to Redis).
# Usage: check_no_network_code.sh BINARY. Fails when BINARY has no symbol table to judge by.
set -euo pipefail
binary=$1
symbols=$(nm "$binary" 2>/dev/null || true)
if [[ -z $symbols ]]; then
  echo "FAIL: $binary has no symbol table (stripped?): cannot tell what it links" >&2
  exit 1
fi
# hiredis's own names (redisConnect, __redisAppendCommand, redisReaderCreate, ...): case matters,
# since mangled C++ names spell 'redis' in any case by chance (_Iter_predISt...).
if found=$(grep -E '(^|[^A-Za-z])_*redis[A-Z]|hiredis' <<<"$symbols"); then
  echo "FAIL: $binary links Redis client code:" >&2
  head -5 <<<"$found" >&2
  exit 1
fi
echo "ok: $binary has $(wc -l <<<"$symbols") symbols, none of a Redis client"
