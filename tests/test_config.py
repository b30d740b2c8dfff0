"""The app's Streamlit settings (.streamlit/config.toml): what they must hold, and why."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_tables_offer_no_raw_csv_download():
    # A table's own CSV download writes a cell like =HYPERLINK(…) as it is; the pages export through
    # ui.export.table_csv instead.
    assert config()["client"]["disableDataExport"] is True


def test_errors_show_no_traceback_to_visitors():
    # A traceback names the server's folders; it goes to the console, the browser shows the error type.
    assert config()["client"]["showErrorDetails"] in ("type", "none")
