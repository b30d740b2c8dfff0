#!/usr/bin/env bash
# Create .venv (Python ≥ 3.11) and install the pinned requirements; a no-op when nothing changed.
# Usage: source scripts/setup.sh [requirements file]   (sets $PY to the venv's python)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="${1:-requirements.txt}"
cd "$ROOT"
pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is needed (python3 --version says: $(python3 --version 2>&1))" >&2
  return 1
}
if [ ! -x .venv/bin/python ]; then
  BASE_PY="$(pick_python)"
  echo "setup: creating .venv with $BASE_PY" >&2
  "$BASE_PY" -m venv .venv
fi
PY="$ROOT/.venv/bin/python"
STAMP=".venv/.installed-$(cat requirements.txt "$REQ" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "setup: installing $REQ (first time takes a few minutes)" >&2
  "$PY" -m pip install --disable-pip-version-check -q -r "$REQ"
  touch "$STAMP"
fi
export PY
