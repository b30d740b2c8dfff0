"""One indicator across regions and years, for the Targets page: which indicators can be compared, the
values of one as (region, year) points, and its chart.

Plans name the same indicator slightly differently (「专利密集型产业增加值占 GDP 的比重」 and
「专利密集型产业增加值占GDP比重」): ``indicator_key`` folds spaces, width and 的 so both land on one entry.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from .export import to_number

_FOLD = re.compile(r"[\s的]+")
# Words a name may end with or leave out and still name the same count: 泰安's 每万人口高价值发明专利 is
# 博州's 每万人口高价值发明专利拥有量; 高新技术企业 is 高新技术企业数量.
_COUNT_WORDS = re.compile(r"(?:拥有量|数量|总数)$")
BAR = 22  # pixels per bar


def indicator_key(name: str) -> str:
    """The name an indicator is compared under (spaces, full-width forms, traditional characters and 的
    folded: 青海's 每萬人口高價值發明專利擁有量 is 博州's 每万人口高价值发明专利拥有量; a closing 拥有量,
    数量 or 总数 left out: 泰安's 每万人口高价值发明专利 is the same count)."""
    key = name_form(name)
    return _COUNT_WORDS.sub("", key) or key


def name_form(name: str) -> str:
    """A name as the Targets page's filter matches it: spaces, width, script and 的 folded (not its count
    word: typing 拥有量 finds the names that hold it)."""
    from indexer.textnorm import search_form

    return _FOLD.sub("", search_form(name or "").text)


# A value written as a bound or an estimate (≤490, ＞5, 95以上, ≥85％, 约3000) or in brackets ((86.4％)):
# charted at its number, labelled as written.
_BOUND = re.compile(
    r"^[（(]?\s*(?:[≥≤＞＜><]=?|不低于|不少于|不超过|不高于|高于|低于|大于|小于|超过|达到|约)?\s*"
    r"(?P<number>\d[\d,，]*(?:\.\d+)?)\s*[%％]?\s*(?:以上|以下|以内|左右)?\s*[）)]?$"
)


def chart_number(written: str) -> float | None:
    """The number a written value is charted at: a plain number, or the number of a bound or estimate
    (≤490 → 490, 95以上 → 95); None for 「——」, 「/」 or words (显著提升)."""
    number = to_number(written)
    if number is not None:
        return number
    m = _BOUND.match((written or "").strip())
    return to_number(m.group("number")) if m else None


def numeric_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the indicator table with a number as baseline or target (a bound such as 「≥100」 is
    charted at its number and labelled as written; 「——」 is not charted), with the numbers in 基期 /
    目标, the values as written in 基期写法 / 目标写法, and the comparison key in 指标键."""
    out = table.assign(
        基期=table["基期值"].map(chart_number),
        目标=table["目标值"].map(chart_number),
        基期写法=table["基期值"].fillna("").astype(str).str.strip(),
        目标写法=table["目标值"].fillna("").astype(str).str.strip(),
        指标键=table["指标"].map(indicator_key),
    )
    return out[out["基期"].notna() | out["目标"].notna()]


def uncharted_values(table: pd.DataFrame) -> int:
    """How many baselines and targets the table writes that the chart cannot show (「——」 and 「/」 say
    there is none and are not counted; 「显著提升」 is)."""
    written = pd.concat([table["基期值"], table["目标值"]]).fillna("").astype(str).str.strip()
    stated = written[~written.isin(["", "—", "——", "-", "--", "/", "－", "无"])]
    return int(stated.map(chart_number).isna().sum())


def chart_note(table: pd.DataFrame, key: str, other_units: int) -> str:
    """What the chart of one indicator (``key``) leaves out: its rows in other units, and its values that
    are not numbers (of this indicator only, not of the whole table)."""
    notes = []
    if other_units:
        notes.append(f"另有 {other_units} 项使用其他单位，未放在同一张图中")
    skipped = uncharted_values(table[table["指标"].map(indicator_key) == key])
    if skipped:
        notes.append(f"这项指标另有 {skipped} 个数值不是数字（如“显著提升”），未作图")
    return "；".join(notes) + "。" if notes else ""


def indicator_choices(numeric: pd.DataFrame) -> list[tuple[str, str, int]]:
    """(key, name, regions) of every charted indicator: those more regions share first, then those with
    more values, then in the order of the table; the name is the one most often written, regions how
    many regions give a value."""
    out = []
    for order, (key, rows) in enumerate(numeric.groupby("指标键", sort=False)):
        values = int(rows["基期"].notna().sum() + rows["目标"].notna().sum())
        out.append((-rows["地区"].nunique(), -values, order, key, rows["指标"].value_counts().index[0]))
    return [(key, name, -regions) for regions, _, _, key, name in sorted(out)]


def indicator_points(numeric: pd.DataFrame, key: str) -> tuple[pd.DataFrame, str, int]:
    """One indicator's values as (地区, 年份, 数值) points — its baseline and its target, each under its
    own year — in the unit most regions use; the unit, and how many rows in other units were left out."""
    rows = numeric[numeric["指标键"] == key]
    unit = rows["单位"].value_counts().index[0] if rows["单位"].astype(bool).any() else ""
    same = rows[rows["单位"] == unit] if unit else rows
    points = []
    # Two documents of one region that both give this indicator (a plan and its implementation opinion)
    # are two bars, each labelled with its document: never one of them silently.
    docs_per_region = same.groupby("地区")["文件"].nunique() if "文件" in same else None
    for _, row in same.iterrows():
        region = row["地区"]
        if docs_per_region is not None and docs_per_region.get(region, 1) > 1:
            region = f"{region} · {row['文件']}"
        for kind, year_field in (("基期", "基期年"), ("目标", "目标年")):
            value = row[kind]
            if value is None or pd.isna(value):
                continue
            year = str(row[year_field] or "").strip()
            period = str(row.get(f"{kind}期间", "") or "").strip()
            written = str(row.get(f"{kind}写法", "") or "") or f"{float(value):g}"
            points.append({"地区": region, "年份": when_label(year, period, kind), "数值": float(value), "写法": written})
    frame = pd.DataFrame(points, columns=["地区", "年份", "数值", "写法"])
    frame = frame.drop_duplicates(subset=["地区", "年份"]).sort_values(["地区", "年份"], kind="stable")
    return frame.reset_index(drop=True), unit, len(rows) - len(same)


def when_label(year: str, period: str, kind: str) -> str:
    """A value's label on the chart: 2025年目标, or the five-year plan its column names, “十四五”基期
    (2021—2025): a plan's value may be its five-year total, which a year's label would chart as a stock."""
    if period and year.isdigit():
        return f"“{period}”{kind}（{int(year) - 4}—{year}）"
    return f"{year}年{kind}" if year else kind


def label_order(labels) -> list[str]:
    """The chart's labels in time order: by the (last) year each names, a baseline before a target, then as
    written (“十四五”基期（2021—2025） sorts with 2025年基期, not after 2030年目标 by its characters)."""
    def key(label: str):
        years = re.findall(r"(?:19|20)\d{2}", label)
        return (int(years[-1]) if years else 9999, "目标" in label, label)

    return sorted(set(labels), key=key)


def indicator_chart(points: pd.DataFrame, title: str) -> alt.LayerChart:
    """Horizontal bars, one group per region (its full name on the axis), one bar per year, the value
    written at the end of each bar."""
    years = label_order(points["年份"].unique())
    base = alt.Chart(points).encode(
        y=alt.Y("地区:N", title=None, sort=sorted(points["地区"].unique()), axis=alt.Axis(labelLimit=0)),
        yOffset=alt.YOffset("年份:N", sort=years),
        x=alt.X("数值:Q", title=title, scale=alt.Scale(nice=True)),
        color=alt.Color("年份:N", sort=years, title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("地区:N"), alt.Tooltip("年份:N"), alt.Tooltip("写法:N", title="数值")],
    )
    bars = base.mark_bar()
    values = base.mark_text(align="left", baseline="middle", dx=3).encode(  # as written: ≤490, 95以上
        text=alt.Text("写法:N"), color=alt.value("#212529")
    )
    return (bars + values).properties(height=alt.Step(BAR, **{"for": "offset"}))  # BAR pixels a bar


def year_table(points: pd.DataFrame) -> pd.DataFrame:
    """One indicator's values as a region × year table for the page, written as the plans write them: a
    year a region does not state is an empty cell. (The page's grid draws a missing number as 「None」 and
    ignores a Styler's na_rep, so the cells are text.)"""
    table = points.pivot(index="地区", columns="年份", values="写法")
    table = table[label_order(table.columns)]
    return table.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))

