"""地区对比: one topic, one column per region with its best clauses; regions without one say so."""

from __future__ import annotations

import re

import streamlit as st

from indexer.errors import PlanSearchError
from ui.examples import examples_for
from ui.export import compare_csv, compare_markdown
from ui.filters import filtered_regions, sidebar_filters
from ui.messages import friendly
from ui.render import coverage_item, coverage_summary
from ui.resources import require_searcher
from ui.safe import md

# Example topics: those whose words the indexed plans use (ui/examples.py), topped up with topics any plan has.
EXAMPLES = (
    ("知识产权质押融资", "质押融资"),
    ("地理标志保护", "地理标志"),
    ("植物新品种", "植物新品种"),
    ("海外知识产权纠纷应对", "海外"),
    ("节约用水", "节水"),
    ("水资源保护", "水资源"),
    ("数据安全", "数据安全"),
    ("消防救援力量", "消防"),
    ("人才队伍建设", ""),
    ("资金保障", ""),
    ("考核评估", ""),
)
COLUMNS_PER_ROW = 4


def _pick(topic: str) -> None:
    st.session_state["topic"] = topic


st.markdown("### 地区对比")
searcher = require_searcher()
with st.sidebar:
    # Two by default: a region's plan and its implementation opinion each show their best clause (each
    # document first), as the evaluation's compare.rows counts them; at one, development's figure fell
    # from 0.907 to 0.740 (retrieval/eval/README.md).
    per_region = st.slider("每个地区显示条款数", 1, 3, 2, key="cmp-per-region")
filters = sidebar_filters(searcher, "cmp")  # e.g. only the provinces, or only some documents

topic = st.text_input("对比主题，按回车", key="topic", bind="query-params", placeholder="例如：知识产权质押融资")
examples = examples_for(searcher, None, EXAMPLES, 4)
cols = st.columns(len(examples))
for col, example in zip(cols, examples, strict=True):
    col.button(example, key=f"cmp-ex-{example}", on_click=_pick, args=(example,), type="tertiary")
if not topic:
    st.caption("输入一个主题，查看各地区规划中最相关的条款。")
    st.stop()

try:
    parsed = searcher.parse(topic)
    with st.spinner("正在对比…"):
        coverages = searcher.compare(topic, per_region=per_region, filters=filters)
    regions = filtered_regions(searcher, filters)  # only the regions the filters keep, covered or not
    coverages = [c for c in coverages if regions is None or c.region in regions]
except PlanSearchError as err:
    st.warning(md(friendly(err)))
    st.stop()

covered = sum(c.covered and not c.partial for c in coverages)
partly = sum(c.partial for c in coverages)
st.caption(coverage_summary(len(coverages), covered, partly))
weights = searcher.term_weights()
for start in range(0, len(coverages), COLUMNS_PER_ROW):
    row = coverages[start : start + COLUMNS_PER_ROW]
    for col, cov in zip(st.columns(COLUMNS_PER_ROW), row, strict=False):
        with col, st.container(border=True):
            coverage_item(cov, parsed.content_text, weights, full=True, index=searcher.index)

stem = re.sub(r"[^\w\u4e00-\u9fff]+", "_", topic).strip("_")[:40] or "topic"
left, right = st.columns(2)
left.download_button(
    "导出 CSV", compare_csv(coverages, searcher.index), file_name=f"地区对比-{stem}.csv", mime="text/csv", icon=":material/download:"
)
right.download_button(
    "导出 Markdown",
    compare_markdown(topic, coverages, searcher.index),
    file_name=f"地区对比-{stem}.md",
    mime="text/markdown",
    icon=":material/download:",
)
