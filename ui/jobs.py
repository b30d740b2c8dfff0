"""Index updates off the request thread: an upload, a rescan or a rebuild starts a background build and the
page polls its state, while searches keep answering from the index in place until the new one is swapped in.

    job = build_job()                                   # one per process (st.cache_resource)
    job.start(data_dir, index_dir, messages=[...])      # False (and queued once more) if one is running
    state = job.state()                                 # JobState: running, progress, report or error

One build at a time: a second request while one runs is remembered and runs once after it (it reads the
plans folder again, so files saved meanwhile are indexed); across processes the build lock of
``indexer.folders`` keeps builds apart as before. A failure keeps the previous index (a build swaps its new
index in only when complete) and the files that were saved.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import streamlit as st

from indexer import ocr
from indexer.build import BuildReport, build_index
from indexer.errors import PlanSearchError

from .build import embedder_settings, ocr_progress_text, progress_fraction, remaining_text
from .messages import friendly


@dataclass(frozen=True, slots=True)
class JobState:
    """What the page shows of the current (or last) build."""

    job_id: int = 0  # 0: no build has run in this process
    running: bool = False
    fraction: float = 0.0
    text: str = "准备更新索引…"
    report: BuildReport | None = None
    error: str = ""  # the friendly reason the build failed (the previous index is unchanged)
    messages: tuple[tuple[str, str], ...] = ()  # (level, line) to show with the outcome (e.g. the uploads)
    queued: bool = False  # another build was asked for while this one ran: it runs next
    started: float = 0.0
    finished: float = 0.0


@dataclass
class BuildJob:
    """The process's one background index build (see the module docstring)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: JobState = field(default_factory=JobState)
    _next: tuple | None = None  # (data_dir, index_dir, force, messages) asked for while running
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _thread: threading.Thread | None = None

    def state(self) -> JobState:
        with self._lock:
            return self._state

    def start(
        self, data_dir: Path, index_dir: Path, *, force: bool = False, messages: list[tuple[str, str]] | None = None
    ) -> bool:
        """Start a build in the background; True if it started now, False if one is running (this one is
        then queued to run right after it, its messages kept)."""
        request = (Path(data_dir), Path(index_dir), force, tuple(messages or ()))
        with self._lock:
            if self._state.running:
                if self._next is None:
                    self._next = request
                else:  # one queued build covers every request: it reads the whole folder
                    d, i, f, m = self._next
                    self._next = (d, i, f or force, m + request[3])
                self._state = replace(self._state, queued=True)
                return False
            self._begin(request)
            return True

    def _begin(self, request) -> None:
        """(under the lock) a new job id, and the thread that runs it"""
        data_dir, index_dir, force, messages = request
        self._state = JobState(next(self._ids), True, 0.0, "准备更新索引…", messages=messages, started=time.time())
        job_id = self._state.job_id
        self._thread = threading.Thread(
            target=self._run, args=(job_id, data_dir, index_dir, force), name=f"plansearch-build-{job_id}", daemon=True
        )
        self._thread.start()

    def _progress(self, job_id: int):
        started: dict[str, float] = {}  # when each stage began: the pace so far gives the time left

        def report(stage: str, done: int, total: int) -> None:
            value, text = progress_fraction(stage, done, total)
            now = time.monotonic()
            if done == 0 or stage not in started:
                started[stage] = now
            text += remaining_text(now - started[stage], done, total)
            with self._lock:
                if self._state.job_id == job_id:
                    self._state = replace(self._state, fraction=value, text=text)

        return report

    def _ocr_progress(self, job_id: int):
        def report(done: int, total: int) -> None:
            with self._lock:
                if self._state.job_id == job_id:
                    self._state = replace(self._state, text=ocr_progress_text(done, total))

        return report

    def _run(self, job_id: int, data_dir: Path, index_dir: Path, force: bool) -> None:
        report, error = None, ""
        try:
            with ocr.reporting(self._ocr_progress(job_id)):  # a scanned PDF: seconds a page, so each shows
                report = build_index(
                    data_dir, index_dir, settings=embedder_settings(index_dir), progress=self._progress(job_id),
                    force=force,
                )
        except PlanSearchError as err:
            error = friendly(err)
        except Exception as err:  # noqa: BLE001 - a thread must not die silently: the page says what failed
            import traceback

            traceback.print_exc()  # the operator's console gets the traceback, the page the type only
            error = f"索引更新时出现意外错误（{type(err).__name__}），原有索引未受影响。"
        with self._lock:
            done = replace(
                self._state,
                running=False,
                fraction=1.0 if report else self._state.fraction,
                text="索引已更新" if report else "索引更新失败",
                report=report,
                error=error,
                finished=time.time(),
            )
            self._state = done
            if self._next is not None:
                request, self._next = self._next, None
                self._begin(request)
                # the finished job's outcome goes along with the next one, so no message is lost
                self._state = replace(self._state, messages=done.messages + self._state.messages + _outcome(done))

    def wait(self, timeout: float = 60.0) -> JobState:
        """Block until no build is running (tests, and the CLI-like callers); returns the final state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                thread, running = self._thread, self._state.running
            if not running:
                return self.state()
            if thread is not None:
                thread.join(0.05)
        return self.state()


def _outcome(state: JobState) -> tuple[tuple[str, str], ...]:
    """A finished build as (level, line) messages: its report, or its error."""
    from .resources import build_messages

    if state.report is not None:
        return tuple(build_messages(state.report))
    if state.error:
        return (("error", f"索引更新失败：{state.error} 已保存的文件仍在文件库中，检索继续使用原有索引。"),)
    return ()


def outcome_messages(state: JobState) -> list[tuple[str, str]]:
    """Everything to show once a build has finished: the messages it carried, then its outcome."""
    return list(state.messages) + list(_outcome(state))


@st.cache_resource(show_spinner=False)
def build_job() -> BuildJob:
    """The one background build of this process (shared by every browser session)."""
    return BuildJob()
