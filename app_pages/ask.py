"""问答检索: a question → the answer with its citations, then the matching clauses, highlighted.

Deep links: ``?q=问题`` fills and runs the question; ``?clause=<clause_id>`` shows that clause on top.
"""

from __future__ import annotations

import streamlit as st

from indexer.errors import PlanSearchError
from retrieval.answer import ABSTAIN_MESSAGE, TENTATIVE_NOTICE, answer, untranslated_note
from retrieval.filters import within_filters
from retrieval.query import MAX_QUERY_CHARS
from ui.config import data_dir
from ui.examples import examples_for
from ui.filters import sidebar_filters
from ui.generated import generated_answer
from ui.messages import friendly
from ui.render import citation_help, hit_card, linked_clause
from ui.resources import model_ready, require_searcher, wait_for_model, warm_up
from ui.safe import html_text, md

# Example questions offered under the box: the operator's (a file examples.txt in the plans folder, one a
# line), else those of this pool whose topic word the indexed plans use (a water plan's index offers no
# patent question), topped up with questions any plan answers. At most four.
EXAMPLES = (
    ("中小企业怎么用专利去银行贷款？", "专利"),
    ("地理标志保护有哪些措施？", "地理标志"),
    ("纠纷调解由哪个部门牵头？", "调解"),
    ("高价值发明专利目标是多少？", "高价值发明专利"),
    ("节约用水有哪些要求？", "节水"),
    ("河湖治理的目标是什么？", "河湖"),
    ("数据安全由哪个部门负责？", "数据安全"),
    ("消防站建设有哪些安排？", "消防站"),
    ("到2025年的主要目标是什么？", ""),
    ("资金保障有哪些措施？", ""),
    ("人才引进有什么支持政策？", ""),
)
SHOWN_EXAMPLES = 4
RESULTS = 10
SHOWN_FIRST = 5  # drawing ten cards takes the browser ~1.3 s; five keep Enter → answer under a second


def _ask(question: str) -> None:
    st.session_state["q"] = question


st.markdown("### 问答检索")

# The URL holds the question (?q=): shareable, and the browser's Back button after 「在浏览页中打开」 returns
# to it. The URL fills the box when it names another question than the one last shown (a link, Back) or
# when the box has none (Streamlit forgets a widget's value while another page is shown); otherwise the
# box owns the question and the URL follows it.
url_question = st.query_params.get("q", "")
if url_question != st.session_state.get("_ask_applied") or "q" not in st.session_state:
    st.session_state["q"] = url_question
    st.session_state["_ask_applied"] = url_question
question = st.text_input(
    "输入问题，按回车检索", key="q", placeholder="例如：中小企业怎么用专利去银行贷款？", max_chars=MAX_QUERY_CHARS
)
if question != url_question:
    st.session_state["_ask_applied"] = question
    if question:
        st.query_params["q"] = question
    else:
        st.query_params.pop("q", None)
# The box is drawn before the index loads (~1–2 s after a start), so the page takes a question at once.
searcher = require_searcher()
examples = examples_for(searcher, data_dir(), EXAMPLES, SHOWN_EXAMPLES)
if examples:
    cols = st.columns(len(examples))
    for col, example in zip(cols, examples, strict=True):
        col.button(example, key=f"ex-{example}", on_click=_ask, args=(example,), type="tertiary")
filters = sidebar_filters(searcher, "ask")

linked = st.query_params.get("clause", "")
if linked:
    st.markdown("#### 链接的条款")
    if not linked_clause(searcher, linked, question.strip() if question else ""):
        st.warning("链接中的条款不在当前索引中（文件可能已经更新），请重新检索。")

if not question:
    if not linked:
        docs = searcher.index.manifest.counts
        st.caption(
            f"已收录 {docs.get('documents', 0)} 个文件、{docs.get('clauses', 0)} 条条款。输入问题后按回车，或点上面的示例。"
        )
        # Also what makes a new tab's first answer quick: the browser loads the code of the elements a
        # result card uses (copyable code, expanders, links) with this page, not after Enter (median
        # 1.18 s → 0.67 s, docs/screenshots.py).
        citation_help(searcher)
    st.stop()

# Right after a start the semantic model is still loading (10–30 s): the keyword ranking needs no model,
# so it is shown at once, and the page reruns by itself with the full ranking and the answer when ready.
ready = model_ready(searcher)
try:
    parsed = searcher.parse(question)
    with st.spinner("正在检索…"):
        hits = searcher.search(parsed, k=RESULTS, filters=filters, mode="hybrid" if ready else "lexical")
except PlanSearchError as err:
    st.warning(md(friendly(err)))
    st.stop()

if parsed.regions and not filters.regions:
    st.caption(f"已按问题中提到的地区筛选：{md('、'.join(parsed.regions))}")
if not hits:
    st.info("没有符合筛选条件的条款。请放宽左侧的筛选条件再试。")
    st.stop()

if not ready:
    st.info("语义模型正在加载（仅在系统启动后的第一次，约十几秒）。下面先列出按关键词找到的条款；模型就绪后本页会自动给出完整的检索结果和答复。")
    wait_for_model(searcher)
    for hit in hits[:SHOWN_FIRST]:
        hit_card(searcher, hit, parsed.content_text, raw_query=question.strip(), key=f"{hit.rank}-{hit.clause_id}")
    warm_up(searcher).question_answered()  # the model may load now: the keyword results are on their way
    st.stop()

result = within_filters(searcher, parsed, filters, answer(searcher, parsed, hits))  # 青海省… with 泰安市 chosen
with st.container(border=True, key="answer"):
    st.markdown("#### 答复")
    if result.abstain:  # 「所收录的规划中没有…」, or 「所收录的文件中没有福建省的规划。…」 first
        st.info(md(result.text or ABSTAIN_MESSAGE))
        if "仅供参考" not in result.text:
            st.caption("下面是最接近的条款，仅供参考。")
    else:
        body = "".join(
            f'{html_text(s.text)}<span class="answer-cite">〔{html_text(s.citation.short)}〕</span>'
            for s in result.sentences
        )
        st.markdown(f'<div class="answer-box">{body}</div>', unsafe_allow_html=True)
        if result.figures:
            st.markdown(f"**相关数值：** {md('；'.join(result.figures))}")
        if result.departments:
            st.markdown(f"**责任部门：** {md('、'.join(result.departments))}")
        seen = dict.fromkeys(s.citation.canonical for s in result.sentences)
        st.caption("引用：" + md("；".join(seen)))  # the answer stands on its citations, or abstains above
        if result.tentative:  # answered, but more likely than not the clauses do not say what was asked
            st.warning(TENTATIVE_NOTICE)
if note := untranslated_note(parsed, result):
    st.caption(md(note))
generated_answer(searcher, question.strip(), parsed, hits, result)  # only with a model endpoint configured

st.markdown(f"#### 相关条款（{len(hits)}）")
show_all = st.session_state.get("_ask_show_all") == question
for hit in hits if show_all else hits[:SHOWN_FIRST]:
    hit_card(searcher, hit, parsed.content_text, raw_query=question.strip(), key=f"{hit.rank}-{hit.clause_id}")
if not show_all and len(hits) > SHOWN_FIRST:
    st.button(
        f"显示其余 {len(hits) - SHOWN_FIRST} 条",
        key="ask-more",
        on_click=lambda: st.session_state.update(_ask_show_all=question),
    )
