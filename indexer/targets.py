"""Quantitative targets written in prose: 到2025年，每万人口高价值发明专利拥有量达到3.6件.

Many plans state their targets only in sentences, not in an indicator table; without these the Targets
page shows the regions that happen to use tables. A target is a sentence piece of the form
``<indicator><verb><number><unit>[以上|以下|左右]`` in a sentence that names its year (到/至2025年, 2025年底).
The units are the one list of measurement units (money, counts, shares, length, area, volume, power,
weight, time — every field, not one plan's), shared with the figures of answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .numbering import NOTE_MARK
from .tables import IndicatorRow
from .textnorm import search_form

UNITS = sorted(
    "% ％ 个百分点 百分点 亿元 万元 元 件 家 个 项 人次 万人 人 分 倍 件次 家次 所 座 处 户 万户 辆 套 张 次 条 台 "
    "公里 千米 米 毫米 平方公里 平方千米 万平方米 平方米 公顷 万亩 亩 立方米 万立方米 亿立方米 万吨 吨 吨/天 万吨/天 "
    "千瓦 万千瓦 兆瓦 千瓦时 天 小时 分钟 年 微克/立方米".split(),
    key=len,
    reverse=True,
)
UNIT_PATTERN = "|".join(re.escape(u) for u in UNITS)
# A figure written with spaces between its groups of three digits and its unit after it: 1 256亿元 (GB/T
# 15835 groups digits so; OCR also reads the wide full-width digits of １２５６亿元 so). One figure:
# 1256亿元. Two figures side by side are never grouped in threes before a unit (68 75%, 2 3个 stay).
SPACED_FIGURE = re.compile(
    rf"(?<![\d.．,，])(\d{{1,3}})((?: \d{{3}})+)(?=(?:[.．]\d+)?\s*(?:[亿万千]|{UNIT_PATTERN}))"
)


def join_spaced_figures(text: str) -> str:
    """``text`` with each figure grouped by spaces (1 256亿元) written whole (1256亿元)."""
    return SPACED_FIGURE.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), text)


def spaced_figure_at(text: str, space: int) -> bool:
    """Whether the space at index ``space`` of ``text`` groups the digits of one figure (1 256亿元)."""
    return any(m.start(2) <= space < m.end(2) for m in SPACED_FIGURE.finditer(text, max(0, space - 8), space + 40))

# Verbs that set a level (达到3.6件) and the qualifiers of a bound; an increment (新增12亿元) or a growth
# rate (年均增长8%) is part of what is measured, so it stays in the indicator's name.
_LEVEL = "达到|达|提高到|提高至|提升到|提升至|增加到|增加至|增长到|增至|扩大到|扩大至|突破|超过|不低于|不少于|保持在|稳定在|控制在|降低到|降低至|下降到|降至|力争达到|累计达到"
_CHANGE = "新增|累计新增|年均增长|增长|提高|下降|减少"
_BOUND = {"以上": "≥", "以下": "≤", "以内": "≤", "左右": "约"}
_LOWER_VERBS = {"超过", "不低于", "不少于", "突破"}

_YEAR = re.compile(r"(?:到|至|于)\s*(?P<year>20\d{2})\s*年|(?P<year2>20\d{2})\s*年(?:底|末)")
# A year that says where things stand (截至2025年底) or what is foreseen (预计到2030年…将超过): no target
_NOT_A_GOAL = re.compile(r"(?:截至|截止|预计|预测|估计)(?:到|至|于)?\s*$")
_ANY_YEAR = re.compile(r"[2２][0０]\d\d|[2２][0０][０-９]{2}")
_SENTENCE = re.compile(r"[^。；;！!？?\n]+")
_PIECE = re.compile(r"[^，,、；;：:]+")
_TARGET = re.compile(
    rf"^(?P<name>(?:\d[A-Za-z]|[^\d])[^，,]{{1,39}}?)(?:(?P<change>{_CHANGE})|(?P<verb>{_LEVEL}))\s*"
    rf"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{UNIT_PATTERN})?(?P<bound>以上|以下|以内|左右)?$"
)
# 新建绿地35万平方米: the verb first, then what is built or added.
_BUILD = "累计新建|累计建成|新建|新增|建成|改造|培育|新培育|打造|创建"
_TARGET_VERB_FIRST = re.compile(
    rf"^(?P<name>(?:{_BUILD})[^\d]{{2,30}}?)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{UNIT_PATTERN})(?P<bound>以上|以下|以内|左右)?$"
)
# A measure without a unit: 农田灌溉水有效利用系数提高到0.62, 火灾十万人口死亡率控制在0.15以下.
_RATIO = re.compile(r"(?:系数|指数|率|比例|比重)$")
# What a name may start with that is not part of it: conjunctions and the plan's own subject.
_LEAD = re.compile(r"^(?:和|及|以及|与|并|且|其中|力争|确保|实现|年末|年底|全省|全市|全州|全区|全县|我省|我市|我州|我区|我县)+")


def prose_targets(text: str, start: int = 0, end: int | None = None) -> Iterator[IndicatorRow]:
    """Targets stated in sentences of ``text[start:end]``, in order. Matching runs on the search form
    (a traditional-character plan's 達到 is 达到), names and spans come from the text as written. Only
    sentences that name a year are normalized, so a huge text without one costs a scan."""
    end = len(text) if end is None else end
    for sentence in _SENTENCE.finditer(text, start, end):
        if "\t" in sentence.group() or not _ANY_YEAR.search(sentence.group()):
            continue  # a table row (the indicator table reader has it), or no year at all
        form = search_form(sentence.group())
        simple = form.text
        years = list(_YEAR.finditer(simple))
        if not years:
            continue
        base = sentence.start()
        for piece in _PIECE.finditer(simple, years[0].end()):
            # each piece counts toward the nearest year before it (到2025年…3000件，到2035年…6000件)
            year = [y for y in years if y.end() <= piece.start()][-1]
            digits = year.start("year") if year.group("year") else year.start("year2")
            if _NOT_A_GOAL.search(simple[max(0, digits - 6) : digits]):
                continue
            target_year = year.group("year") or year.group("year2")
            m = _TARGET.match(piece.group().strip()) or _TARGET_VERB_FIRST.match(piece.group().strip())
            if m is None:
                continue
            offset = piece.start() + (len(piece.group()) - len(piece.group().lstrip()))
            a, b = form.to_original(offset + m.start("name"), offset + m.end("name"))
            p0, p1 = form.to_original(piece.start(), piece.end())
            row = _row(m, sentence.group()[a:b], target_year, (base + p0, base + p1))
            if row is not None:
                yield row


def _row(m: re.Match, written_name: str, year: str, span: tuple[int, int]) -> IndicatorRow | None:
    groups = m.groupdict()
    change, verb = groups.get("change"), groups.get("verb")
    if not (m.group("unit") or change or _RATIO.search(NOTE_MARK.sub("", m.group("name")))):
        return None  # a bare number (达到3) measures nothing we could name, unless a ratio is named
    lead = _LEAD.match(m.group("name"))
    # (a note's mark is not the name's: 城市绿色出行比例①达到75%)
    name = NOTE_MARK.sub("", written_name[lead.end() if lead else 0 :]).strip()
    if len(name) < 2 or re.search(r"[年月日]$", name):
        return None
    if re.search(r"分别$|分别为$", name):  # 再生铜、再生铝产量分别达到120万吨、50万吨: several targets, not one
        return None
    if change:
        name += change
    value = m.group("num")
    bound = _BOUND.get(m.group("bound") or "", "")
    if not bound and verb in _LOWER_VERBS:
        bound = "≥"
    return IndicatorRow(
        seq="",
        name=name,
        unit=m.group("unit") or "",
        baseline_year="",
        baseline="",
        target_year=year,
        target=f"{bound}{value}",
        attribute="",
        span=span,
        table_title="",
    )
