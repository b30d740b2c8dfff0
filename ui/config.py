"""Where the app finds its index and its plans: ``PLANSEARCH_INDEX`` and ``PLANSEARCH_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def index_dir() -> Path:
    """The index folder: ``$PLANSEARCH_INDEX`` or ``<project>/index``."""
    return Path(os.environ.get("PLANSEARCH_INDEX") or PROJECT / "index").expanduser()


def data_dir() -> Path:
    """The plans folder: ``$PLANSEARCH_DATA`` or ``<project>/data``."""
    return Path(os.environ.get("PLANSEARCH_DATA") or PROJECT / "data").expanduser()
