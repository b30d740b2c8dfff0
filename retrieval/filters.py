"""Filters typed by hand (``--region 青海``, ``--level 省级``, ``--doc 泰安``) read against what the index holds,
and a question whose own region the chosen filter leaves out.

A value that names nothing in the index is an error that says what there is, not a search that finds
nothing and then reports that the plans do not cover the question.
"""

from __future__ import annotations

from dataclasses import replace

from indexer.bodies import department_forms
from indexer.errors import PlanSearchError
from indexer.regions import LEVEL_WORDS, level_named, prefecture_of

from .records import Answer, Filters

SHOWN = 12  # names listed in an error message


class UnknownFilter(PlanSearchError):
    """A filter value that names no region, level, document or department of the index."""


def resolve_filters(searcher, filters: Filters) -> Filters:
    """``filters`` with each typed value replaced by what it names in the index (青海 → 青海省, 省级 → 省, a
    document's unique id prefix or title words → its id). Raises UnknownFilter for a value that names
    nothing indexed."""
    if not (filters.regions or filters.levels or filters.doc_ids or filters.department):
        return filters  # nothing typed: nothing to read
    docs = list(searcher.docs.values())  # metadata only (index.documents reads every text on Milvus)
    return replace(
        filters,
        regions=tuple(_region(searcher, docs, v) for v in filters.regions),
        levels=tuple(_level(docs, v) for v in filters.levels),
        doc_ids=tuple(d for v in filters.doc_ids for d in _doc_ids(docs, v)),
        department=_department(searcher, filters.department),
    )


def _covered(docs) -> dict[str, None]:
    """The names a region filter can keep documents by: each document's region, prefecture and province."""
    return dict.fromkeys(n for d in docs for n in (d.region, *_lies_in(d)) if n)


def _lies_in(d) -> tuple[str, ...]:
    """The regions a document's region lies in: its prefecture and its province (the filter's own reading)."""
    return tuple(n for n in (prefecture_of(d.region, d.region_level, d.province, d.title), d.province) if n)


def _region(searcher, docs, value: str) -> str:
    value = value.strip()
    covered = _covered(docs)
    if value in covered:
        return value
    named = [r for r in searcher.parse(value).regions if r in covered]  # 青海 → 青海省, 泰安 → 泰安市
    if len(named) == 1:
        return named[0]
    raise UnknownFilter(f"--region {value}: 所收录的文件中没有这个地区的规划（已收录：{_listed(covered)}）")


def _level(docs, value: str) -> str:
    present = dict.fromkeys(d.region_level for d in docs if d.region_level)
    level = level_named(value)
    if level in present:
        return level
    known = "、".join(present) or "—"
    if level is None:
        raise UnknownFilter(f"--level {value}: 不是一个行政层级（可用：{'、'.join(LEVEL_WORDS)}；已收录：{known}）")
    raise UnknownFilter(f"--level {value}: 所收录的文件中没有这一层级的规划（已收录：{known}）")


def _doc_ids(docs, value: str) -> tuple[str, ...]:
    value = value.strip()
    ids = [d.doc_id for d in docs]
    if value in ids:
        return (value,)
    picked = [d.doc_id for d in docs if d.doc_id.startswith(value) or value in d.title]
    if len(picked) == 1:
        return (picked[0],)
    if picked:
        raise UnknownFilter(f"--doc {value}: 对应多份文件，请写出其中一份的编号：{_listed(picked)}")
    raise UnknownFilter(f"--doc {value}: 没有这份文件（已收录：{_listed(ids)}）")


def _department(searcher, value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    names = searcher.department_names()
    forms = department_forms(value)  # 省市场监督管理局 finds 省市场监管局, as the filter itself does
    if any(form in name for name in names for form in forms):
        return value
    raise UnknownFilter(f"--department {value}: 没有条款写明这个部门（例如：{_listed(names)}）")


def _listed(names) -> str:
    names = list(names)
    return "、".join(names[:SHOWN]) + (f" 等{len(names)}个" if len(names) > SHOWN else "")


# Said instead of an answer when the question's region is not among the chosen ones.
LEFT_OUT = "问题中提到的{asked}不在所选的地区（{chosen}）之内：下面列出的是所选地区的条款，不能当作{asked}的规定。"


def left_out_regions(searcher, pq, filters: Filters) -> tuple[str, ...]:
    """The regions a question names that its region filter leaves out (青海省… asked with the filter 泰安市):
    answering from the filter's plans would pass off another region's clause as the one asked about. A
    region inside a chosen one, or holding one (吴江区 and 苏州市), is not left out."""
    if not filters.regions or not pq.regions:
        return ()
    above: dict[str, set[str]] = {}  # each region asked or chosen with the regions it lies in
    involved = {*pq.regions, *filters.regions}
    for d in (d for d in searcher.docs.values() if d.region in involved):
        above.setdefault(d.region, {d.region}).update(_lies_in(d))

    def related(a: str, b: str) -> bool:
        return a == b or b in above.get(a, ()) or a in above.get(b, ())

    return tuple(r for r in pq.regions if not any(related(r, f) for f in filters.regions))


def within_filters(searcher, pq, filters: Filters, answer: Answer) -> Answer:
    """``answer``, or an abstention saying so when the question's region is left out by the filter."""
    left = left_out_regions(searcher, pq, filters)
    if not left:
        return answer
    text = LEFT_OUT.format(asked="、".join(left), chosen="、".join(filters.regions))
    return Answer(text, True, confidence=answer.confidence)
