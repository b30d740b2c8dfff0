"""The searcher, loaded once per process and per index version (``st.cache_resource`` keyed by the
manifest fingerprint: an upload that changes the index is picked up on the next rerun).

The backend comes from the settings (``PLANSEARCH_BACKEND`` / ``PLANSEARCH_MILVUS_*`` or the ``[milvus]``
section of plansearch.toml): ``files`` reads the index folder, ``milvus`` the collections that
``python -m indexer export-milvus`` fills (keyed by the fingerprint recorded on the collection).

Every browser session shares the cached, read-only searcher. The only process-wide state besides
Streamlit's caches: the searcher serve.py opens as the server starts (handed to the first page that asks)
and each searcher's warm-up.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import weakref
from concurrent.futures import Future
from pathlib import Path

import streamlit as st

from indexer.errors import IndexDamaged, IndexMismatch, IndexNotFound, PlanSearchError
from indexer.lexical import complete_dictionary
from indexer.milvus_export import MilvusIndexNotBuilt, MilvusSettings, MilvusUnavailable
from indexer.store import read_manifest
from retrieval.places import prepare as prepare_places
from retrieval.search import Searcher

from . import config, editor
from .build import report_lines
from .messages import detail, friendly, metadata_problem, reason_text
from .safe import md

_LOG = logging.getLogger(__name__)


# One searcher per process: the index's vectors and columns are its bulk (≈1.5 GB at a million clauses), so
# an index swapped in by a build replaces the old searcher instead of sitting beside two older ones.
@st.cache_resource(max_entries=1, show_spinner="正在加载检索索引…")
def _open(index_dir: str, fingerprint: str) -> Searcher:
    searcher = _AT_START.take((index_dir, fingerprint)) or Searcher.open(index_dir)
    warm_up(searcher).start()
    return searcher


class _OpenedAtStart:
    """The searcher serve.py opens as the server starts, waiting for the first page that asks for that
    index (which waits for it if it is still opening, instead of opening it a second time)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], Future] = {}
        self._taken = False

    def open(self, key: tuple[str, str], opener) -> None:
        future: Future = Future()
        with self._lock:
            if self._taken:  # a page came first and opened the index itself: a second copy would never be used
                return
            self._pending[key] = future
        try:
            future.set_result(opener())
        except Exception as err:  # noqa: BLE001 - the page opens the index itself and reports the problem
            future.set_exception(err)

    def take(self, key: tuple[str, str]) -> Searcher | None:
        with self._lock:  # one hand-over: an index changed since the start is dropped with it
            pending, self._pending, self._taken = self._pending, {}, True
        future = pending.get(key)
        if future is None or future.exception() is not None:
            return None
        return future.result()


_AT_START = _OpenedAtStart()


MILVUS_UNAVAILABLE = (
    "暂时无法连接检索服务（Milvus），或服务器未安装其客户端。请联系管理员检查 Milvus 的地址、令牌和 pymilvus 安装。"
)
MILVUS_NOT_EXPORTED = (
    "Milvus 中还没有可用的检索数据（或正在更新）。请管理员运行 python -m indexer export-milvus 后再试。"
)


@st.cache_resource(max_entries=2, show_spinner=False)
def _milvus_client(uri: str, token: str):
    from indexer.milvus_export import connect

    return connect(MilvusSettings(backend="milvus", uri=uri, token=token))


@st.cache_resource(max_entries=2, show_spinner="正在连接检索服务…")
def _open_milvus(uri: str, token: str, collection: str, fingerprint: str):
    from retrieval.milvus import MilvusSearcher

    settings = MilvusSettings(backend="milvus", uri=uri, token=token, collection=collection)
    searcher = MilvusSearcher.open(settings, client=_milvus_client(uri, token))
    warm_up(searcher).start()
    return searcher


def _milvus_searcher(settings: MilvusSettings):
    from indexer.milvus_export import check_manifest, one_line, read_manifest_property

    client = _milvus_client(settings.uri, settings.token)
    try:
        have = read_manifest_property(client, settings.collection)
    except Exception as err:  # noqa: BLE001 - pymilvus and gRPC errors become one typed line
        raise MilvusUnavailable(f"Milvus at {settings.uri}: {one_line(err)}") from err
    fingerprint = check_manifest(have, settings.collection)["fingerprint"]
    return _open_milvus(settings.uri, settings.token, settings.collection, fingerprint)


class WarmUp:
    """Loads what questions need, in the background, in the order that keeps the first pages quick.

    First the keyword path (jieba's dictionary and the query parser's place names, ~1–3 s on a busy
    machine), which answers while the model loads. Then the query model (~2 s of a core idle, 10–30 s
    busy), but only once a question has been answered (``question_answered``) or ``model_after`` seconds
    have passed: on two cores its load competes with the browser and the server for the first page right
    after a start, so it waits until that page has its keyword results. Last, jieba's dictionary as a
    plain dict (the keyword path answers from its sorted arrays until then), and the words that tell a place
    name from an ordinary word (retrieval/places.py). The searcher is held weakly: a
    searcher replaced by a new index is not kept alive by its warm-up.
    """

    def __init__(self, searcher, model_after: float = 5.0):
        self._searcher = weakref.ref(searcher)
        self.model_after = model_after
        self._asked = threading.Event()
        self._started = threading.Event()

    def start(self) -> None:
        if not self._started.is_set():
            self._started.set()
            threading.Thread(target=self.run, name="plansearch-warm-up", daemon=True).start()

    def question_answered(self) -> None:
        self._asked.set()

    @property
    def searcher(self):
        return self._searcher()

    def run(self) -> None:
        in_background()
        self._step(lambda: self.searcher.search(WARM_UP_QUESTION, k=1, mode="lexical"))
        if self._asked.wait(self.model_after):
            time.sleep(self.SETTLE)  # the answered page's last messages leave the server first
        self._step(lambda: self.searcher.embedder.embed_query(WARM_UP_QUESTION))
        self._step(complete_dictionary)
        self._step(prepare_places)

    SETTLE = 0.3

    @staticmethod
    def _step(step) -> None:
        try:
            step()
        except Exception:  # the first real question reports the problem to the user
            pass


def in_background() -> None:
    """Run the calling thread at a lower priority (on Linux a thread's nice value is its own): on two cores
    the start-up's index opening and the warm-up then yield the processor to the browser loading and
    drawing the first page and to the pages' own threads. A no-op elsewhere (there a thread id may name
    another process)."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        except OSError:
            pass


BACKGROUND_NICE = 10


def warm_up(searcher) -> WarmUp:
    """The warm-up of a searcher, one per searcher (kept while the searcher lives)."""
    with _WARM_UPS_LOCK:
        found = _WARM_UPS.get(searcher)
        if found is None:
            found = _WARM_UPS[searcher] = WarmUp(searcher)
        return found


_WARM_UPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WARM_UPS_LOCK = threading.Lock()


WARM_UP_QUESTION = "规划的主要目标和重点任务"


def model_ready(searcher: Searcher) -> bool:
    """Whether the query model has loaded (fakes and already-used models count as loaded)."""
    return bool(getattr(searcher.embedder, "loaded", True))


@st.fragment(run_every=1.0)
def wait_for_model(searcher) -> None:
    """While the query model loads: check once a second, and rerun the whole page when it is ready (the
    page then shows the full ranking and the answer instead of the keyword results)."""
    if model_ready(searcher):
        st.rerun(scope="app")


def open_searcher() -> Searcher:
    """The searcher of the current index. Raises IndexNotFound / IndexMismatch / ModelUnavailable (and, with
    the Milvus backend, MilvusUnavailable)."""
    settings = MilvusSettings.from_env()
    if settings.backend == "milvus":
        return _milvus_searcher(settings)
    folder = config.index_dir()
    return _open(str(folder), read_manifest(folder).fingerprint)


def searcher_or_notice() -> Searcher | None:
    """The searcher, or None after a friendly notice (with a button to build the index when there is
    none or it is damaged, for an editor). Messages left by a build just before (``flash``) show first."""
    show_flash()
    try:
        return open_searcher()
    except (MilvusUnavailable, MilvusIndexNotBuilt) as err:
        st.warning(MILVUS_UNAVAILABLE)
        st.caption(md(detail(err)))
    except (IndexNotFound, IndexMismatch) as err:
        if _milvus_backend():  # the operator exports; an editor's button would build the files index only
            st.info(MILVUS_NOT_EXPORTED)
            st.caption(md(detail(err)))
            return None
        st.info(md(friendly(err)))
        st.caption(md(detail(err)))
        build_button(rebuild=isinstance(err, IndexMismatch), force=isinstance(err, IndexDamaged))
    except PlanSearchError as err:
        st.warning(md(friendly(err)))
        st.caption(md(detail(err)))
    return None


def _milvus_backend() -> bool:
    try:
        return MilvusSettings.from_env().backend == "milvus"
    except PlanSearchError:
        return False


def require_searcher() -> Searcher:
    """The searcher, or the notice of ``searcher_or_notice`` and the page stops."""
    searcher = searcher_or_notice()
    if searcher is None:
        st.stop()
    return searcher


def build_button(rebuild: bool = False, force: bool = False) -> None:
    """A button that builds the index from the plans folder in the background, with progress and a report;
    only an editor gets it (a visitor is told where to unlock, or what the operator must run)."""
    if not editor.is_editor():
        editor.build_locked_notice(rebuild)
        return
    if build_status():  # a build is running already (this page reloads itself when it is done)
        return
    label = "重新建立索引" if rebuild else "建立索引"
    if not st.button(label, type="primary", key="build-index"):
        return
    start_build(force=force)
    build_status()


def start_build(*, force: bool = False, messages: list[tuple[str, str]] | None = None) -> None:
    """Update the index in the background (``ui.jobs``); this session then watches it (``build_status``)
    and shows ``messages`` with its outcome. Callers check ``ui.editor.is_editor()`` first."""
    from .jobs import build_job

    build_job().start(config.data_dir(), config.index_dir(), force=force, messages=messages)
    st.session_state["_build_watch"] = True


def build_status() -> bool:
    """The progress of a running build, polled (searches meanwhile answer from the index in place); once
    a build this session watched has finished, its outcome is flashed and the page reruns on the new
    index. True while a build runs."""
    from .jobs import build_job

    state = build_job().state()
    if not (state.running or st.session_state.get("_build_watch")):
        return False
    _build_progress()
    return state.running


@st.fragment(run_every=0.5)
def _build_progress() -> None:
    from .jobs import build_job, outcome_messages

    state = build_job().state()
    if state.running:
        st.progress(state.fraction, text=state.text)
        more = " 之后将再更新一次（期间又有新的请求）。" if state.queued else ""
        st.caption(f"索引正在后台更新，检索仍使用原有索引，完成后本页自动刷新。{more}")
        return
    if st.session_state.pop("_build_watch", None):
        flash(outcome_messages(state))
        st.rerun(scope="app")


def build_messages(report) -> list[tuple[str, str]]:
    """A build report as (level, line) messages: what was indexed, then each skipped file and why."""
    return (
        [("success", line) for line in report_lines(report)]
        + [("info" if metadata_problem(e.reason) else "warning",
            f"{'' if metadata_problem(e.reason) else '已跳过 '}{Path(e.path).name}：{reason_text(e.reason)}")
           for e in report.skipped]
        + [("info", f"{source} 与 {original} 内容相同，未重复收录") for source, original in report.duplicates]
    )


def flash(messages: list[tuple[str, str]]) -> None:
    """(level, line) messages to show once at the top of the next run (they survive the st.rerun after a
    build); level is 'success', 'warning' or 'error'."""
    st.session_state["_flash"] = list(messages)


def show_flash() -> None:
    show = {"success": st.success, "warning": st.warning, "error": st.error}
    for level, line in st.session_state.pop("_flash", []):  # lines name files and titles: never markup
        show.get(level, st.info)(md(line))


def preload() -> None:
    """Open the current index (which starts its warm-up) as the server starts (serve.py runs this in a
    thread of its own), so the first page finds it open, and import what the first page imports. Files
    backend only (Milvus connects on the first page); without an index it only logs: the first page
    explains. Nothing here goes through Streamlit's caches, which expect a page's thread."""
    in_background()
    try:
        if MilvusSettings.from_env().backend == "files":
            folder = config.index_dir()
            key = (str(folder), read_manifest(folder).fingerprint)
            _AT_START.open(key, lambda: _started(Searcher.open(str(folder))))
    except Exception as err:  # noqa: BLE001 - the first page shows the friendly message
        _LOG.info("index not opened at start: %s", type(err).__name__)
    for name in ASK_PAGE_IMPORTS:  # ~0.5 s (1–1.5 s busy) the first page would otherwise spend importing
        importlib.import_module(name)


def _started(searcher: Searcher) -> Searcher:
    warm_up(searcher).start()
    return searcher


# What app.py and the Ask page import beyond this module (a test keeps the list whole).
ASK_PAGE_IMPORTS = (
    "retrieval.answer", "retrieval.filters", "retrieval.query", "ui.chrome", "ui.config", "ui.examples", "ui.filters",
    "ui.generated", "ui.render",
)
