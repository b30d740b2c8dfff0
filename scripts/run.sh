#!/usr/bin/env bash
# Set up, bring the index up to date with data/ (only new or changed plans are embedded), start the app.
# Extra arguments go to `streamlit run` (e.g. --server.port 8600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements.txt
cd "$ROOT"
"$PY" -m indexer build
exec "$PY" -m streamlit run app.py "$@"
