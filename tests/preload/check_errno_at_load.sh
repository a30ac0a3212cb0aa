#!/usr/bin/env bash
# Usage: check_errno_at_load.sh LIBRARY PROBE
# Passes when PROBE reports the same errno at the start of main() with LIBRARY preloaded as
# without it. (The control library sets errno in its constructor: this check must fail on it.)
set -euo pipefail
library=$1 probe=$2
without=$(env -u LD_PRELOAD "$probe")
with=$(LD_PRELOAD=$library "$probe")
echo "without: $without"
echo "with:    $with"
[ "$without" = "$with" ]
