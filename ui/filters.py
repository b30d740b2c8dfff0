"""The search filters in the sidebar: region, level, document, responsible department."""

from __future__ import annotations

import streamlit as st

from indexer.bodies import department_key, is_collective
from retrieval.records import Filters

# A handful of options each: picked from the list, not typed (typing showed Streamlit's 「No results」) and
# no 「Select all」 entry (choosing nothing already means all).
CHOICES = {"select_all": False, "filter_mode": None}
LEVEL_ORDER = ("全国", "省", "自治区", "市", "自治州", "地区", "盟", "区县")


def _level_key(level: str) -> tuple[int, str]:
    return (LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER), level)


@st.cache_data(max_entries=3, show_spinner=False)
def _departments(fingerprint: str, _searcher) -> list[str]:
    """Every department named in the index, once per index version (both backends keep the list): each
    once however it is written (省人社厅 / 省人力资源社会保障厅: the filter finds every form), and none that
    stands for many bodies (各有关部门, 各市州政府)."""
    return department_choices(_searcher.department_names())


def department_choices(names: list[str]) -> list[str]:
    chosen: dict[str, str] = {}
    for name in names:
        if not is_collective(name):
            chosen.setdefault(department_key(name), name)
    return list(chosen.values())


def sidebar_filters(searcher, prefix: str = "ask") -> Filters:
    """Filter widgets in the sidebar; returns the Filters they describe (empty = everything)."""
    docs = [d.document for d in searcher.index.documents]
    titles = {d.doc_id: f"{d.region} · {d.title}" if d.region else d.title for d in docs}
    departments = _departments(searcher.index.manifest.fingerprint, searcher)
    with st.sidebar:
        st.markdown("##### 筛选")
        regions = st.multiselect(
            "地区",
            sorted({d.region for d in docs if d.region}),
            key=f"{prefix}-regions",
            placeholder="全部地区",
            **CHOICES,
        )
        levels = st.multiselect(
            "级别",
            sorted({d.region_level for d in docs if d.region_level}, key=_level_key),
            key=f"{prefix}-levels",
            placeholder="全部级别",
            **CHOICES,
        )
        doc_ids = st.multiselect(
            "文件", list(titles), format_func=titles.get, key=f"{prefix}-docs", placeholder="全部文件", select_all=False
        )
        department = st.selectbox(
            "责任部门",
            departments,
            index=None,
            key=f"{prefix}-department",
            placeholder="全部部门（可输入）",
            accept_new_options=True,
        )
    return Filters(
        regions=tuple(regions), levels=tuple(levels), doc_ids=tuple(doc_ids), department=(department or "").strip()
    )


def filtered_regions(searcher, filters: Filters) -> set[str] | None:
    """The regions a comparison under ``filters`` is about (those with a document the filters allow: with
    a department, one that names it), or None when the filters name no region, level, document or
    department: a region left out is not 「未找到」."""
    if not (filters.regions or filters.levels or filters.doc_ids or filters.department):
        return None
    naming = searcher.documents_naming(filters.department) if filters.department else None
    return {
        d.region
        for d in (e.document for e in searcher.index.documents)
        if (not filters.regions or d.region in filters.regions)
        and (not filters.levels or d.region_level in filters.levels)
        and (not filters.doc_ids or d.doc_id in filters.doc_ids)
        and (naming is None or d.doc_id in naming)
    }
