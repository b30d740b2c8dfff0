#!/usr/bin/env bash
# Set up and run the whole test suite (hermetic tests, real-model tests and the browser test).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements-dev.txt
cd "$ROOT"
# The browser test drives Debian's headless Chromium; install it when we can (root), else it skips.
if [ "$(id -u)" = 0 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  if ! { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } >/dev/null; then
    echo "warning: could not install chromium + chromium-driver; the browser test will be skipped" >&2
  fi
fi
exec "$PY" -m pytest "$@"
