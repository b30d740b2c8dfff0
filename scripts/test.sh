#!/usr/bin/env bash
# Set up and run the whole test suite (hermetic tests, real-model tests and the browser test).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements-dev.txt
cd "$ROOT"
exec "$PY" -m pytest "$@"
