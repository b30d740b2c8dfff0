"""The figures a sentence states and the year each is of: what a figure question's answer lists (相关数值)
and which of its clauses it quotes first.

    stated_figures("到2025年，…达到3.6件")      # ['3.6件（2025年）']
    row_figures(searcher, indicator_row, pq)   # an indicator row's values with unit and year: ['75%（2030年）', …]
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from indexer.read import value_when
from indexer.targets import UNIT_PATTERN
from indexer.textnorm import search_form, to_simplified

from .highlight import query_terms
from .query import years_to_digits
from .records import Hit

YEAR_NOT_STATED = "所收录的规划中没有找到写明{asked}年数值的条款（最接近的条款写的是{stated}年的）。"
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_FROM_YEAR = re.compile(r"(?:由|从|较|比|同比|相比)\s*(?:19|20)\d{2}\s*年")
_COMPARED_WITH = re.compile(r"(?:较|比|同比|相比|与)\s*$")  # what makes the year after it a base year (从2020年的
# 3.2件 is that year's own figure)
_TARGET_YEAR = re.compile(r"(?:到|至)\s*((?:19|20)\d{2})\s*年")

FIGURE = re.compile(
    r"(?:(?:到|至)?\s*(?P<year>20\d{2})\s*年(?:年?末|底)?[^。；，,]{0,24}?)?"
    r"(?P<num>\d+(?:\.\d+)?|(?<![一二三四五六七八九十百千万两])[一二三四五六七八九十百千两]+万?(?=元|万元|倍))\s*"
    r"(?P<unit>" + UNIT_PATTERN + r")"
)
# A year alone (2025年) is when, not how much.
# A year alone (2025年) is when, not how much.
_NOT_A_FIGURE = re.compile(r"^(?:19|20)\d{2}年$")
# How far before a figure its own words are looked for (they name what it measures).
# How far before a figure its own words are looked for (they name what it measures).
FIGURE_WORDS = 40


def year_first(pq, hits: list[Hit], weights: Mapping[str, float] | None = None) -> list[Hit]:
    """For a figure question that names a year (到2030年…多少), the hits whose text names it first (an
    indicator row's 2030年目标：75 before a section's 不低于80%), each group in rank order — those that hold
    as much of the question's other terms as the best hit (with ``weights``, the terms' IDF): another topic's
    到2030年 sentence does not pass the clause about the one asked."""
    asked = set(_YEAR.findall(pq.search_text)) if pq.intent == "figure" else set()
    if not asked or not hits:
        return hits
    terms = {t: (weights or {}).get(t, 1.0) for t in query_terms(pq.content_text) if not _YEAR.search(t) and not t.isdigit()}
    least = weight_held(hits[0].clause.text, terms)
    return sorted(hits, key=lambda h: not (asked & set(_YEAR.findall(years_to_digits(h.clause.text)))
                                           and weight_held(h.clause.text, terms) >= least))


def year_unstated(pq, sentences) -> str:
    """For a figure question that names a year (到2030年…多少), when the quoted sentences name years and
    none is that one: say so (their figure is another year's, a 2025 target is no 2030 one)."""
    asked = dict.fromkeys(_YEAR.findall(pq.search_text))
    stated = dict.fromkeys(y for s in sentences for y in _YEAR.findall(_FROM_YEAR.sub("", years_to_digits(s.text))))
    if not asked or not stated or set(asked) & set(stated):
        return ""
    return YEAR_NOT_STATED.format(asked="、".join(asked), stated="、".join(stated))


def weight_held(text: str, weights: Mapping[str, float]) -> float:
    """How much of the question (its terms and their weights) ``text`` holds."""
    form = search_form(text).text
    return sum(w for term, w in weights.items() if term in form)


# A question about when something takes effect, and the sentence that says so (本条例自2024年3月1日起施行)
def row_figures(searcher, clause, pq) -> list[str]:
    """An indicator row's figures, read from its records rather than its text (whose unit stands in the
    indicator's name: 护理型床位占比（%），…2030年目标：75): each target, then the baseline, with unit and
    year (75%（2030年）); a year the question names first, otherwise the plan's own target first."""
    records = [i for i in searcher.index.indicators_of(clause.doc_id) if tuple(i.span) == tuple(clause.span)]
    # the row's main target is its last record; a five-year plan's column (“十四五”现状值) is that plan's, not
    # its last year's (value_when)
    values = [(i.target_year, i.target, i.target_period) for i in reversed(records)]
    values += [(i.baseline_year, i.baseline, i.baseline_period) for i in records[:1]]
    asked = set(_YEAR.findall(pq.search_text))
    stated = [f"{value}{records[0].unit}（{value_when(year, period)}）" if year else f"{value}{records[0].unit}"
              for year, value, period in sorted(values, key=lambda v: v[0] not in asked) if re.search(r"\d", value or "")]
    return list(dict.fromkeys(stated))


def stated_figures(sentence: str, weights: Mapping[str, float] | None = None) -> list[str]:
    """The figures a sentence states (3.6件, 7000万元（2025年）). With ``weights`` (the question's terms and
    their weights), the figure whose own words - those just before it, back to the previous figure -
    hold more of the question comes first (每万人口高价值发明专利拥有量达到1.25件 before 满意度80分 for a
    question about the former); otherwise, and on ties, in the order they are written. A text in traditional
    characters is read in simplified ones (12億元 is 12亿元)."""
    found: list[tuple[float, str]] = []
    previous = 0
    sentence = to_simplified(sentence)
    for m in FIGURE.finditer(sentence):
        figure = f"{m.group('num')}{m.group('unit')}"
        start, previous = max(previous, m.start() - FIGURE_WORDS), m.end()
        if _NOT_A_FIGURE.match(figure):
            continue
        score = 0.0
        if weights:
            score = weight_held(sentence[start : m.end()], weights)
        year = m.group("year")
        if year and _COMPARED_WITH.search(sentence[: m.start("year")]):  # 比2020年下降19.5%: not 2020's figure
            year = next((y for y in reversed(_TARGET_YEAR.findall(sentence[: m.start("year")]))), "")
        found.append((score, f"{figure}（{year}年）" if year else figure))
    return [figure for _, figure in sorted(found, key=lambda f: -f[0])]  # stable: text order on ties
