#!/usr/bin/env bash
# Set up, then show the bundled plans. (The web app replaces this once it lands.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements.txt
cd "$ROOT"
for f in data/*.txt; do
  "$PY" -m indexer outline "$f"
  echo
done
