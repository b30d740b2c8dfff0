#!/usr/bin/env bash
# Replay every class of bad input and fault (bad --index targets, hostile files, damaged indexes, a full
# disk, kills during a build, hostile queries and exports) against a temporary copy; prints
# "N tried, N handled, N problems" and fails unless there are no problems.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements-dev.txt
cd "$ROOT"
exec "$PY" -m pytest -m attack -s -q -p no:logging tests/test_attack.py "$@"
