"""The server: ``streamlit run serve.py`` serves the app (app.py) and opens the index as it starts.

Without it the index opens when the first visitor's page runs, so a question asked right after a start
waits for it; here a thread opens it (and the warm-up behind it) while the first browser is still loading
the page. ``streamlit run app.py`` works too, only slower to its first answer.
"""

import threading
from contextlib import asynccontextmanager

import streamlit as st


def _preload() -> None:
    from ui.resources import preload  # imported here: numpy, FAISS and the index must not hold up the server

    preload()


@asynccontextmanager
async def _open_index_at_start(app):
    threading.Thread(target=_preload, name="plansearch-preload", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_open_index_at_start)
