"""The model's answer on the Ask page (only when an endpoint is configured: ``retrieval.llm.settings``).

Streamed as it comes (``st.write_stream``), then replaced by the checked version: only the sentences the
cited clauses support, each followed by its numbers [1] [2]; below it one expander per cited clause,
labelled with the same number, that opens the clause in place (highlighted, with its citation to copy and
its link). When the endpoint fails, or nothing it wrote could be checked, one line says so and the
extractive answer above stands. When the retrieval abstains the model is not asked and nothing shows.

A result is kept per session and question, so reruns (opening a card's context, showing more cards) do not
ask the model again.
"""

from __future__ import annotations

import streamlit as st

from indexer.errors import PlanSearchError
from retrieval.llm import GeneratedAnswer, GenerationStream, LLMSettings, should_ask
from retrieval.llm.generation import with_marks
from retrieval.llm.prompt import MAX_SOURCES

from .render import browse_link, clause_body
from .safe import html_text, md

TITLE = "#### 模型整理的答复"
DRAFT = "#### 模型正在整理答复（草稿，完成后逐句核对，未通过的句子会删去）"
NOTE = (
    "由本地模型根据检索到的条款整理，每句的数字、年份、地区、部门和否定词已与所引条款比对；"
    "比对是按字词进行的，不能保证意思完全一致，请以条款原文为准。点开下面的编号查看所引条款。"
)
MISCONFIGURED = "模型答复暂不可用（模型服务的设置有误），上面是从条款中摘录的答复。"
_KEPT = 16  # answers remembered per session


def generated_answer(searcher, question: str, parsed, hits, extractive) -> None:
    """The model's checked answer to ``question`` from ``hits``, streamed; nothing without an endpoint."""
    try:
        settings = LLMSettings.from_env()
    except PlanSearchError:
        st.info(MISCONFIGURED, icon=":material/info:")
        return
    if settings is None or not should_ask(extractive, hits):
        return
    key = (question, tuple(h.clause_id for h in hits[:MAX_SOURCES]), settings.base_url, settings.model)
    kept: dict = st.session_state.setdefault("_generated", {})
    result = kept.get(key)
    # Fixed slots, replaced element by element: the streamed text becomes the checked one in place (a
    # container replaced by another would keep the streamed text as a stale child).
    with st.container(border=True, key="generated"):
        title, body = st.empty(), st.empty()
        if result is None:
            title.markdown(DRAFT)  # not an answer yet: the sentences are checked when the reply is complete
            stream = GenerationStream(settings, question, hits, extractive, searcher.term_weights())
            body.write_stream(md(piece) for piece in stream)  # the raw reply, as text, while it comes
            result = stream.result
            while len(kept) >= _KEPT:
                kept.pop(next(iter(kept)))
            kept[key] = result
        show(searcher, result, parsed.content_text, question, title, body)


def show(searcher, result: GeneratedAnswer, query: str, raw_query: str, title, body) -> None:
    """A checked answer (into the ``title`` and ``body`` slots) with its numbered clauses below, or its
    one-line notice."""
    if not result.text:
        title.empty()
        body.info(md(result.notice), icon=":material/info:")
        return
    title.markdown(TITLE)
    html = "".join(
        with_marks(s, '<span class="answer-cite">[{}]</span>'.format, html_text)
        for s in result.sentences
        if s.supported
    )
    body.markdown(f'<div class="answer-box">{html}</div>', unsafe_allow_html=True)
    st.caption(NOTE + (f"{md(result.notice)}" if result.notice else ""))  # notice: what was dropped
    weights = searcher.term_weights()
    for source in result.cited:
        with st.expander(f"\\[{source.n}\\] {md(source.citation.short)}", key=f"gen-src-{source.n}"):
            clause_body(source.text, query, weights)
            st.code(source.citation.canonical, language=None, wrap_lines=True)
            browse_link(source.clause_id, raw_query)
