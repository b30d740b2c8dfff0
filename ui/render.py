"""How a clause looks: citation header, highlighted text, copyable citation, context and comparable
clauses. Highlighting and citing are the engine's (render_html escapes the text, so the HTML is safe)."""

from __future__ import annotations

import streamlit as st

from indexer.regions import level_name
from retrieval.cite import cite, nested
from retrieval.highlight import highlight, render_html
from retrieval.lists import list_lead
from retrieval.records import Highlight, Hit, RegionCoverage

from .context import Block, block_of, linked_clause_of, section_context
from .export import NOT_COVERED, PARTLY_COVERED, partly
from .safe import html_text, md

CSS = """
<style>
mark.hl-sentence { background: #fff3bf; color: inherit; padding: 0 1px; border-radius: 2px; }
mark.hl-term { background: #ffd8a8; color: inherit; font-weight: 600; padding: 0; border-radius: 2px; }
.clause-text { line-height: 1.85; font-size: 1.02rem; }
.cite-head { color: #495057; font-size: 0.92rem; margin-bottom: 0.25rem; }
.cite-head b { color: #1c7ed6; }
.ctx-block { padding: 0.35rem 0.6rem; margin: 0.25rem 0; color: #868e96; border-left: 3px solid #e9ecef; }
.ctx-current { color: inherit; border-left: 3px solid #fab005; background: #fffdf5; }
.ctx-parent { font-weight: 600; color: #495057; }
.answer-box { font-size: 1.08rem; line-height: 1.9; }
.answer-cite { color: #1c7ed6; font-size: 0.88rem; white-space: nowrap; }
.muted { color: #868e96; font-size: 0.88rem; }
</style>
"""


def inject_css() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def clause_html(text: str, query: str = "", weights=None) -> str:
    """A clause's text as HTML, with the answering sentences and matched terms marked when there is a query."""
    if not query:
        return html_text(text)
    return render_html(text, highlight(text, query, weights=weights))


def excerpt_html(text: str, query: str, weights=None, short: int = 180) -> str:
    """The answering sentences of a long clause (with … where text is left out); a short clause whole."""
    hl = highlight(text, query, weights=weights) if query else Highlight()
    if len(text) <= short or not hl.sentences:
        return clause_html(text, query, weights) if len(text) <= short else html_text(_snippet(text, short))
    # Each run of adjacent answering sentences on its own, "…" between: the first and the last sentence of a
    # long clause are two short pieces, not the whole clause from one to the other.
    runs: list[tuple[int, int]] = []
    for a, b in sorted(hl.sentences):
        if runs and not text[runs[-1][1]:a].strip():
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    pieces = []
    for start, end in runs:
        window = Highlight(
            tuple((a - start, b - start) for a, b in hl.sentences if start <= a and b <= end),
            tuple((max(a, start) - start, min(b, end) - start) for a, b in hl.terms if a < end and b > start),
        )
        pieces.append(render_html(text[start:end], window))
    return ("…" if runs[0][0] > 0 else "") + "…".join(pieces) + ("…" if runs[-1][1] < len(text) else "")


def answer_terms(searcher, question: str) -> str:
    """What of a question the highlight matches: the same parsed form on every page (the Ask cards get
    ``parsed.content_text`` already), so a deep link marks the sentences the Ask page marked."""
    return searcher.parse(question).content_text if question else ""


def header_html(hit_or_block_region: str, title: str, section: str) -> str:
    return (
        f'<div class="cite-head"><b>{html_text(hit_or_block_region)}</b> · 《{html_text(nested(title))}》'
        f" · {html_text(section)}</div>"
    )


def clause_body(text: str, query: str = "", weights=None, extra_class: str = "") -> None:
    st.markdown(
        f'<div class="clause-text {extra_class}">{clause_html(text, query, weights)}</div>', unsafe_allow_html=True
    )


def browse_link(clause_id: str, query: str = "", label: str = "在浏览页中打开") -> None:
    params = {"clause": clause_id, **({"q": query} if query else {})}
    st.page_link("app_pages/browse.py", label=label, icon=":material/open_in_new:", query_params=params)


def hit_card(searcher, hit: Hit, query: str, *, raw_query: str = "", key: str = "") -> None:
    """One result: citation header, highlighted clause, why it matched (in words; the numbers one click
    away), copyable citation, context and other regions."""
    c = cite(hit.clause, hit.document)
    weights = searcher.term_weights()
    key = key or hit.clause_id
    text = hit.clause.text
    hl = highlight(text, query, weights=weights) if query else Highlight()
    with st.container(border=True):
        st.markdown(header_html(c.region or c.title, c.title, c.section), unsafe_allow_html=True)
        lead_line(list_lead(searcher.index, hit.clause))
        st.markdown(
            f'<div class="clause-text">{render_html(text, hl) if query else html_text(text)}</div>',
            unsafe_allow_html=True,
        )
        notes = hit.clause.departments.labelled()
        source = searcher.index.clause(hit.clause.departments.source) if hit.clause.departments.source else None
        if source is not None:  # the item names nobody itself: its division table's row does
            notes.append(f"单位见{cite(source, hit.document).section}")
        if hit.clause.kind == "glossary":
            notes.append("规划所附名词解释，不是规划正文的要求")
        if hit.clause.parts > 1:
            notes.append(f"本条较长，此为第 {hit.clause.part}/{hit.clause.parts} 段")
        notes.append(match_summary(hit, matched_words(text, hl)))
        st.caption(md(" ｜ ".join(notes)))
        citation_codes(c)
        browse_link(c.clause_id, raw_query)
        with st.expander("为什么排在这里", key=f"why-{key}", icon=":material/info:"):
            st.caption(md(ranking_detail(hit)))
        ctx = st.expander("查看上下文", key=f"ctx-{key}", on_change="rerun", icon=":material/article:")
        if ctx.open:
            with ctx:
                context_view(searcher, hit.clause, query)
        sim = st.expander("其他地区的可比条款", key=f"sim-{key}", on_change="rerun", icon=":material/compare_arrows:")
        if sim.open:
            with sim:
                similar_view(searcher, hit.clause_id, raw_query)


def citation_codes(c) -> None:
    """Both citations, each copyable: the heading path, and the form officials write in documents."""
    st.code(c.canonical, language=None, wrap_lines=True)
    if c.official:
        st.caption("公文引用格式")
        st.code(c.official, language=None, wrap_lines=True)


def citation_help(searcher) -> None:
    """How results are cited, on one real clause of the index (the first document's first clause with a
    heading path two levels deep): both copyable forms and its link into the Browse page. Reads that one
    document's clauses only (on Milvus a query by its id, not the whole collection)."""
    documents = searcher.index.documents
    clauses = searcher.index.clauses_of(documents[0].document.doc_id) if documents else []
    example = next((c for c in clauses if len(c.section_path) >= 2), clauses[0] if clauses else None)
    if example is None:
        return
    with st.expander("如何引用检索结果", icon=":material/format_quote:"):
        st.caption("每条结果都附两种引用，点右上角即可复制：标题路径，以及公文中常用的引用格式。例如：")
        citation_codes(cite(example, searcher.docs[example.doc_id]))
        browse_link(example.clause_id, label="在浏览页中打开这一条")


REASONS = {
    "section reference": "问题中的章节编号直接指向本条",
    "region named in query": "属于问题中提到的地区",
    "document type": "文件类型与问题相符",
    "names departments": "本条列明了责任部门",
}


def matched_words(text: str, hl: Highlight, limit: int = 6) -> list[str]:
    """The words of the clause that matched the question (each once, in order of appearance)."""
    words = dict.fromkeys(text[a:b].strip() for a, b in hl.terms)
    return [w for w in words if w][:limit]


def match_summary(hit: Hit, words: list[str]) -> str:
    """Why a reader should look at this clause, in words: how it was found and which words matched."""
    if "section reference" in hit.reasons:
        how = "章节直达"
    elif hit.dense_rank and hit.lexical_rank:
        how = "关键词与语义均匹配"
    elif hit.lexical_rank:
        how = "关键词匹配"
    elif hit.dense_rank:
        how = "语义相近（用词不同）"
    else:
        how = "相关条款"
    return f"{how}：{'、'.join(words)}" if words else how


def ranking_detail(hit: Hit) -> str:
    """The why-it-ranked-here numbers, for the curious (behind an expander): fused score, each
    retriever's rank and the adjustments that applied."""
    parts = [f"第 {hit.rank} 名，综合得分 {hit.score:.4f}"]
    parts.append(f"语义检索第 {hit.dense_rank} 名" if hit.dense_rank else "语义检索未入选")
    parts.append(f"关键词检索第 {hit.lexical_rank} 名" if hit.lexical_rank else "关键词检索未命中")
    parts += [REASONS[r] for r in hit.reasons if r in REASONS]  # an unnamed one stays out of a Chinese line
    return "；".join(parts) + "。"


def context_view(searcher, clause, query: str = "") -> None:
    """The clause inside its parent section, with its neighbours (the clause itself highlighted)."""
    ctx = section_context(searcher.index, clause)
    entry = searcher.index.document(clause.doc_id)
    title = entry.document.title if entry else clause.doc_id
    where = " > ".join(ctx.parent) if ctx.parent else title
    st.markdown(f'<div class="ctx-parent">{html_text(where)}</div>', unsafe_allow_html=True)
    if ctx.total > len(ctx.blocks):
        st.caption(f"本节共 {ctx.total} 条，显示前后相邻的 {len(ctx.blocks)} 条。")
    weights = searcher.term_weights()
    out = []
    for block in ctx.blocks:
        current = block.clause_id == ctx.current
        body = clause_html(block.text, query if current else "", weights)
        out.append(f'<div class="ctx-block{" ctx-current" if current else ""}">{body}</div>')
    st.markdown("".join(out), unsafe_allow_html=True)


def similar_view(searcher, clause_id: str, query: str = "") -> None:
    """The closest clause of every other region (or that it has none); its link opens it with the
    question's words marked, as 在浏览页中打开 does."""
    try:
        coverages = searcher.similar_to(clause_id)
    except KeyError:
        st.caption("该条款已不在当前索引中。")
        return
    if not coverages:
        st.caption("索引中没有其他地区的文件。")
    for cov in coverages:
        coverage_item(cov, query)


def region_heading(region: str, level: str) -> str:
    """A region as a heading: its name, with its level only where the name does not already say it
    (「山西省」, not 「山西省　省」; 「上海市　直辖市」, not 「上海市　省」; 「浦东新区　区县」)."""
    level = level_name(region, level)
    if not level or region.endswith(level) or level == region:
        return region
    return f"{region}\u3000{level}"


def coverage_summary(regions: int, covered: int, partly: int) -> str:
    """The line above a comparison: how many regions cover the topic, how many only share some words."""
    if not covered and partly:  # nothing covers it: the partial ones are all there is, not "after" anything
        return f"{regions} 个地区中，没有直接相关的条款；{partly} 个仅部分词语相符，可能并非直接相关。"
    return f"{regions} 个地区中，{covered} 个有直接相关的条款" + (f"，{partly} 个仅部分相关（列在后面）" if partly else "") + "。"


def lead_line(lead: str) -> None:
    """The sentence that opens the list a shown item belongs to (第十六条 有下列情形之一的，…：), muted."""
    if lead:
        st.markdown(f'<div class="muted">{html_text(lead)}</div>', unsafe_allow_html=True)


def coverage_item(
    cov: RegionCoverage, query: str = "", weights=None, *, full: bool = False, index=None
) -> None:
    """A region's best clause(s) for a topic, or the plain statement that it has none.

    ``full``: the answering sentences, the whole clause on demand and the citation to copy (Compare);
    otherwise a link that opens the clause in the Browse page, with a one-line snippet (the comparable
    clauses under a search result)."""
    name, level = region_heading(cov.region, cov.region_level), ""
    if name != cov.region:  # a Markdown line with an inline span: Markdown still reads inside it, so md()
        name, level = cov.region, f"\u3000<span class='muted'>{md(level_name(cov.region, cov.region_level))}</span>"
    st.markdown(f"**{md(name)}**{level}", unsafe_allow_html=True)
    if not cov.hits:
        st.caption(NOT_COVERED)
        return
    if cov.partial:
        st.caption(PARTLY_COVERED)
    for i, hit in enumerate(cov.hits):
        c = cite(hit.clause, hit.document)
        label = f" {hit.clause.label}" if hit.clause.label and hit.clause.kind not in ("indicator", "glossary") else ""
        if full and partly(cov, i) and not cov.partial:  # the region covers the topic, this clause only partly
            st.caption(PARTLY_COVERED)
        if not full:
            st.page_link(
                "app_pages/browse.py",
                label=md(c.short + label),
                icon=":material/open_in_new:",
                query_params={"clause": c.clause_id, **({"q": query} if query else {})},
                help="在浏览页中打开这一条",
            )
            clause_body(_snippet(hit.clause.text))
            continue
        st.markdown(f'<div class="cite-head">{html_text(c.short + label)}</div>', unsafe_allow_html=True)
        if index is not None:
            lead_line(list_lead(index, hit.clause))
        st.markdown(
            f'<div class="clause-text">{excerpt_html(hit.clause.text, query, weights)}</div>', unsafe_allow_html=True
        )
        if len(hit.clause.text) > 180:
            with st.expander("全文"):
                clause_body(hit.clause.text, query, weights)
        st.code(c.canonical, language=None, wrap_lines=True)


def _snippet(text: str, n: int = 160) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"


def block_view(searcher, block: Block, query: str = "", *, target: bool = False) -> None:
    """A whole clause in the Browse page: text (highlighted when it is the linked one), citation (the linked
    one's in both forms), link."""
    entry = searcher.index.document(block.first.doc_id)
    c = cite(block.first, entry.document) if entry else None
    with st.container(border=True, key=f"blk-{block.clause_id}"):
        if target:
            st.caption(":material/link: 链接指向的条款")
        body = clause_html(block.text, answer_terms(searcher, query) if target else "", searcher.term_weights())
        cls = "ctx-block ctx-current" if target else ""
        st.markdown(f'<div class="clause-text {cls}">{body}</div>', unsafe_allow_html=True)
        if c is not None and target:  # the clause a link opened: both forms to copy, as on a result card
            citation_codes(c)
        elif c is not None:
            st.code(c.canonical, language=None, wrap_lines=True)
        st.page_link(
            "app_pages/browse.py", label="本条链接", icon=":material/link:", query_params={"clause": block.clause_id}
        )


def linked_clause(searcher, clause_id: str, query: str = "") -> bool:
    """The clause a ``?clause=`` link names, as a card; False when the index has no such clause."""
    clause = linked_clause_of(searcher.index, clause_id)
    if clause is None:
        return False
    block = block_of(searcher.index, clause)
    entry = searcher.index.document(clause.doc_id)
    c = cite(clause, entry.document)
    with st.container(border=True):
        st.markdown(header_html(c.region or c.title, c.title, c.section), unsafe_allow_html=True)
        clause_body(block.text, answer_terms(searcher, query), searcher.term_weights())
        citation_codes(c)
        browse_link(c.clause_id, query)
    return True
