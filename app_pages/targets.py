"""量化指标: the indicator tables of all plans in one sortable table, and a chart of the numeric ones."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.export import table_csv, to_number
from ui.filters import CHOICES
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
if needle.strip():
    shown = shown[shown["指标"].str.contains(needle.strip(), regex=False)]
st.caption(f"共 {len(shown)} 项指标（点击表头排序）。")
st.dataframe(shown, hide_index=True, width="stretch", key="tg-table")
st.download_button(  # the table's own CSV export is off (config.toml): it writes formulas as they are
    "导出 CSV",
    table_csv(shown.to_dict("records"), list(shown.columns)),
    file_name="量化指标.csv",
    mime="text/csv",
    icon=":material/download:",
    key="tg-csv",
)

st.markdown("#### 指标对比图")
numeric = shown.assign(基期=shown["基期值"].map(to_number), 目标=shown["目标值"].map(to_number))
numeric = numeric[numeric["基期"].notna() | numeric["目标"].notna()]
if numeric.empty:
    st.caption("当前筛选下没有可作图的数值指标（“——”“≥100”等非纯数值不作图）。")
    st.stop()
names = numeric["指标"].value_counts().index.tolist()  # the indicator most regions share comes first
name = st.selectbox("选择指标", names, key="tg-chart-name")
picked = numeric[numeric["指标"] == name]
long = picked.melt(
    id_vars=["地区", "单位", "基期年", "目标年"], value_vars=["基期", "目标"], var_name="类别", value_name="数值"
)
long = long.dropna(subset=["数值"])
chart = (
    alt.Chart(long)
    .mark_bar()
    .encode(
        x=alt.X("地区:N", title=None, axis=alt.Axis(labelAngle=0)),
        xOffset="类别:N",
        y=alt.Y("数值:Q", title=f"{name}（{picked['单位'].iloc[0] or '—'}）"),
        color=alt.Color("类别:N", scale=alt.Scale(range=["#adb5bd", "#1c7ed6"]), title=None),
        tooltip=["地区", "类别", "数值", "基期年", "目标年"],
    )
    .properties(height=320)
)
st.altair_chart(chart, width="stretch")
skipped = len(shown) - len(numeric)
if skipped:
    st.caption(f"另有 {skipped} 项指标的数值不是纯数字（如“——”“≥100”），未作图。")
