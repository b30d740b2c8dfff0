"""浏览条款: a document → its outline → a section's clauses. ``?clause=<clause_id>&q=<terms>`` opens a
clause highlighted (every clause shows its own link)."""

from __future__ import annotations

import streamlit as st

from ui.context import base_id, block_of, linked_clause_of, outline, outline_key_for, section_blocks
from ui.render import block_view
from ui.resources import require_searcher
from ui.safe import md

st.markdown("### 浏览条款")
searcher = require_searcher()
index = searcher.index
doc_ids = [d.document.doc_id for d in index.documents]
if not doc_ids:
    st.info("索引中还没有文件。请到“文件库”上传规划文件。")
    st.stop()

# A deep link is applied once (then the widgets own the state, and the URL follows them).
linked = st.query_params.get("clause", "")
if linked and linked != st.session_state.get("_browse_applied"):
    st.session_state["_browse_applied"] = linked
    clause = linked_clause_of(index, linked)
    if clause is None:
        st.session_state["_browse_target"] = ""
        st.warning("链接中的条款不在当前索引中（文件可能已经更新）。")
    else:
        st.session_state["browse-doc"] = clause.doc_id
        st.session_state["browse-item"] = outline_key_for(index, clause)
        st.session_state["_browse_target"] = base_id(clause.clause_id)
query = st.query_params.get("q", "") if linked else ""


def _follow_selection() -> None:
    """The user picked another document or section: the URL now names what is shown, without highlight."""
    doc = st.session_state.get("browse-doc")
    items = outline(index, doc)
    key = st.session_state.get("browse-item")
    item = next((i for i in items if i.key == key), items[0] if items else None)
    blocks = section_blocks(index, doc, item.path) if item else []
    st.session_state["_browse_target"] = ""
    if blocks:
        st.query_params.clear()
        st.query_params["clause"] = blocks[0].clause_id
        st.session_state["_browse_applied"] = blocks[0].clause_id


def _doc_label(doc_id: str) -> str:
    d = index.document(doc_id).document
    return f"{d.region} · {d.title}" if d.region else d.title


doc_id = st.selectbox("文件", doc_ids, format_func=_doc_label, key="browse-doc", on_change=_follow_selection)
items = outline(index, doc_id)
if not items:
    st.info("这个文件没有识别出章节结构。")
    st.stop()
keys = [i.key for i in items]
if st.session_state.get("browse-item") not in keys:
    st.session_state["browse-item"] = keys[0]
labels = {i.key: "\u3000" * (i.level - 1) + md(i.label) for i in items}  # radio options are Markdown
document = index.document(doc_id).document
facts = [x for x in (document.issuer, document.doc_number, document.signed and f"成文 {document.signed}") if x]
if facts:
    st.caption(md(" · ".join(facts)))

left, right = st.columns([2, 3])
with left, st.container(height=620, border=True):
    key = st.radio(
        "目录",
        keys,
        format_func=labels.get,
        key="browse-item",
        label_visibility="collapsed",
        on_change=_follow_selection,
    )
item = next(i for i in items if i.key == key)
with right:
    st.markdown(f"**{md(' > '.join(item.path)) or '前言'}**")
    target = st.session_state.get("_browse_target", "")
    blocks = section_blocks(index, doc_id, item.path)
    linked_clause = index.clause(target) if target else None
    if linked_clause is not None and linked_clause.kind == "indicator" and linked_clause.doc_id == doc_id:
        blocks.insert(0, block_of(index, linked_clause))  # indicator rows are listed only when linked
    for block in blocks:
        block_view(searcher, block, query, target=block.clause_id == target)
