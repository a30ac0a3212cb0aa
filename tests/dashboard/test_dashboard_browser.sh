#!/usr/bin/env bash
# Runs the dashboard's browser test (browser/dashboard_page.test.js) against the build's
# vq-admin and shim. Skips (77) when chromium, chromium-driver or the npm packages are
# missing; tests/run installs all three, so in CI it runs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in /usr/bin/chromium /usr/bin/chromedriver; do
  if [[ ! -x $tool ]]; then
    echo "SKIP: $tool missing — apt-get install chromium chromium-driver (tests/run does)"
    exit 77
  fi
done
if [[ ! -d $here/browser/node_modules/selenium-webdriver ]]; then
  echo "SKIP: selenium-webdriver missing — run tests/e2e/setup.sh (tests/run does)"
  exit 77
fi
# No proxy between the driver and the browser, nor the browser and the loopback server.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export VQ_ADMIN=$1 VQ_SHIM=$2 FAKE_VITEST=$3 HISTORY_WRITER=$4 ARTIFACT_DIR=$5
mkdir -p "$ARTIFACT_DIR"
exec node "$here/browser/dashboard_page.test.js"
