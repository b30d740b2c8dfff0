"""量化指标: the indicator tables of all plans in one sortable table, and a chart of the numeric ones."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.export import table_csv
from ui.filters import CHOICES
from ui.indicators import (
    chart_note,
    indicator_chart,
    indicator_choices,
    indicator_points,
    name_form,
    numeric_rows,
    year_table,
)
from ui.resources import require_searcher

st.markdown("### 量化指标")
searcher = require_searcher()
index = searcher.index
titles = {d.document.doc_id: d.document.title for d in index.documents}
rows = [
    {
        "地区": ind.region,
        "指标": ind.name,
        "单位": ind.unit,
        "基期年": ind.baseline_year,
        "基期值": ind.baseline,
        "目标年": ind.target_year,
        "目标值": ind.target,
        "属性": ind.attribute,
        "文件": titles.get(ind.doc_id, ind.doc_id),
        "章节": " > ".join(ind.section_path),
        "来源": "指标表" if ind.origin == "table" else "正文",
        # the five-year plan a value's column names (“十四五”现状值): the value may be its five-year total
        "基期期间": ind.baseline_period,
        "目标期间": ind.target_period,
    }
    for ind in index.indicators
]
if not rows:
    st.info("已收录的文件中没有识别出量化指标表。")
    st.stop()

table = pd.DataFrame(rows)
with st.sidebar:
    regions = st.multiselect(
        "地区", sorted(table["地区"].unique()), key="tg-regions", placeholder="全部地区", **CHOICES
    )
    needle = st.text_input("指标名称包含", key="tg-name", placeholder="例如：专利")
shown = table
if regions:
    shown = shown[shown["地区"].isin(regions)]
if needle.strip():  # 专利 finds 專利 too: names and the words typed are compared in the search form
    shown = shown[shown["指标"].map(name_form).str.contains(name_form(needle), regex=False)]
distinct = len(shown.drop_duplicates(subset=["文件", "章节", "指标", "单位", "基期年", "基期值"]))
if distinct == len(shown):
    st.caption(f"共 {len(shown)} 项指标（点击表头排序）。")
else:  # 崇明's table gives each indicator a 2025 and a 2035 target: one line per target year
    st.caption(f"共 {distinct} 项指标、{len(shown)} 行：有几个目标年份的指标，每个目标年份一行（点击表头排序）。")
st.dataframe(shown, hide_index=True, width="stretch", key="tg-table")
st.download_button(  # the table's own CSV export is off (config.toml): it writes formulas as they are
    "导出 CSV",
    table_csv(shown.to_dict("records"), list(shown.columns)),
    file_name="量化指标.csv",
    mime="text/csv",
    icon=":material/download:",
    key="tg-csv",
)

st.markdown("#### 一项指标的地区与年份对比")
numeric = numeric_rows(shown)
if numeric.empty:
    st.caption("当前筛选下没有可作图的数值指标（“——”“显著提升”等不是数字的值不作图）。")
    st.stop()
choices = {key: (name, n) for key, name, n in indicator_choices(numeric)}  # most regions first
# The selector sits in a narrow column: the chart's hover toolbar (top right) has nothing to cover.
pick, _ = st.columns([2, 3])
key = pick.selectbox(
    "选择指标",
    list(choices),
    key="tg-chart-name",
    format_func=lambda k: f"{choices[k][0]}（{choices[k][1]} 个地区）" if choices[k][1] > 1 else choices[k][0],
)
points, unit, other_units = indicator_points(numeric, key)
name = choices[key][0]
st.altair_chart(indicator_chart(points, f"{name}（{unit}）" if unit else name), width="stretch", key="tg-chart")
st.dataframe(year_table(points), width="stretch", key="tg-compare")
if note := chart_note(shown, key, other_units):
    st.caption(note)
