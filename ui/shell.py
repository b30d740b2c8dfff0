"""Keeping every page inside app.py's navigation."""

from __future__ import annotations

import runpy

import streamlit as st

from .config import PROJECT


def ensure_navigation() -> None:
    """Run a page through app.py when Streamlit started it on its own.

    With a ``pages/`` folder beside app.py, Streamlit begins in its legacy multipage mode (every file of
    ``pages/`` a page by itself) until a run calls ``st.navigation``: in a fresh server process the first
    request for a deep link such as ``/browse?clause=…`` runs pages/browse.py alone — no page setup, no
    styles, the wrong sidebar (AppTest starts every run that way). Then this runs app.py inside the same
    run (its st.navigation switches the mode off for good and runs this page again, with the widget
    events and query params of the run) and stops the bare page."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        runpy.run_path(str(PROJECT / "app.py"), run_name="__main__")
        st.stop()
