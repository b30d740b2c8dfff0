#!/usr/bin/env bash
# Set up and run the whole test suite (hermetic tests, real-model tests and the browser test).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements-dev.txt
cd "$ROOT"
# The browser test drives Debian's headless Chromium (with a CJK font, so its screenshots show Chinese);
# install them when we can (root), else the test says why it skips.
if [ "$(id -u)" = 0 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -d /usr/share/fonts/opentype/noto ]; }; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk; } >/dev/null; then
    echo "warning: could not install chromium, chromium-driver and fonts-noto-cjk; the browser test will be skipped" >&2
  fi
fi
exec "$PY" -m pytest "$@"
