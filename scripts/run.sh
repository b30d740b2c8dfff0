#!/usr/bin/env bash
# Set up, bring the index up to date with data/ (only new or changed plans are embedded), start the app.
# The app listens on 127.0.0.1 only; PLANSEARCH_HOST=0.0.0.0 serves the local network (or name one address).
# Extra arguments go to `streamlit run` (e.g. --server.port 8600). serve.py serves app.py and opens the index as
# the server starts, before the first visitor.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" requirements.txt
cd "$ROOT"
"$PY" -m indexer build --data "${PLANSEARCH_DATA:-data}" --index "${PLANSEARCH_INDEX:-index}"  # the folders the app reads (ui/config.py)
# Cached bytecode for the app's own modules (even where PYTHONDONTWRITEBYTECODE is set): the first page
# after a start then spends ~0.2 s less compiling them.
"$PY" -m compileall -q app.py serve.py app_pages ui retrieval indexer >/dev/null || true
HOST="${PLANSEARCH_HOST:-127.0.0.1}"
ADDRESS=(--server.address "$HOST")
case "$HOST" in
  127.0.0.1 | localhost | ::1) ;;
  # The URL Streamlit prints (and allows for CORS/XSRF): the machine's name when serving every interface.
  0.0.0.0 | ::) ADDRESS+=(--browser.serverAddress "$(hostname)") ;;
  *) ADDRESS+=(--browser.serverAddress "$HOST") ;;
esac
if [ -z "${PLANSEARCH_EDITOR_PASSWORD_HASH:-}" ] && ! grep -qs '^ *editor_password_hash' .streamlit/secrets.toml; then
  echo "app: no editor password set, so the library is read-only (python -m ui.editor hash-password; see README)" >&2
fi
exec "$PY" -m streamlit run serve.py "${ADDRESS[@]}" "$@"
