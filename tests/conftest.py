"""Shared fixtures: a session-scoped index of the bundled plans built with the deterministic fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory) -> Path:
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder

    folder = tmp_path_factory.mktemp("fake-index") / "index"
    build_index(ROOT / "data", folder, embedder=make_embedder(EmbedderSettings(model="fake:64")))
    return folder


@pytest.fixture(scope="session")
def fake_searcher(fake_index_dir):
    from retrieval.search import Searcher

    return Searcher.open(fake_index_dir)


@pytest.fixture(scope="session")
def editor_hash() -> str:
    from tests.apphelpers import EDITOR_PASSWORD
    from ui.editor import hash_password

    return hash_password(EDITOR_PASSWORD)


@pytest.fixture
def editor(monkeypatch, editor_hash) -> str:
    """The operator has set an editor password (the hash in the environment)."""
    monkeypatch.setenv("PLANSEARCH_EDITOR_PASSWORD_HASH", editor_hash)
    return editor_hash


@pytest.fixture(autouse=True)
def no_editor_password_from_outside(monkeypatch):
    """Tests start read-only whatever the shell running them has set."""
    monkeypatch.delenv("PLANSEARCH_EDITOR_PASSWORD_HASH", raising=False)


@pytest.fixture(autouse=True)
def no_model_endpoint_from_outside(monkeypatch):
    """Tests answer extractively whatever the shell running them has set; those of a model-written answer
    point PLANSEARCH_LLM_BASE_URL at tests/fakellm.py themselves."""
    for var in ("PLANSEARCH_LLM_BASE_URL", "PLANSEARCH_LLM_MODEL", "PLANSEARCH_LLM_API_KEY", "PLANSEARCH_LLM_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fresh_streamlit_cache():
    """App tests: every test starts and ends with an empty st.cache_resource (no searcher carried over)."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture
def env(monkeypatch, fake_index_dir):
    """The app on the read-only fake index; a data folder that must not be touched."""
    monkeypatch.setenv("PLANSEARCH_INDEX", str(fake_index_dir))
    monkeypatch.setenv("PLANSEARCH_DATA", str(ROOT / "data"))


@pytest.fixture
def private_env(monkeypatch, fake_index_dir, tmp_path):
    """The app on a private copy of the plans and the fake index, for tests that add files and rebuild."""
    import shutil

    data, index = tmp_path / "data", tmp_path / "index"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(fake_index_dir, index)
    monkeypatch.setenv("PLANSEARCH_INDEX", str(index))
    monkeypatch.setenv("PLANSEARCH_DATA", str(data))
    monkeypatch.setenv("PLANSEARCH_MODEL", "fake:64")
    return data, index
