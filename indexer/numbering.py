"""The one heading grammar of Chinese plans: recognise a heading number, and write it canonically.

Schemes, most senior first: 附件N (an annex, always top level), 第X编/篇/部分/章/节/条/款, 一、, （一）,
1., 1、, （1）, ①. Half-width and full-width brackets and dots are the same scheme; the canonical form
uses full-width brackets and an ASCII dot, so a citation reads the same whatever the source typed.

Cleaning, loading (PDF line joins), structure and the query side all read headings through this module:
:func:`match_number` at a position, :data:`HEADING_START` as a regex, :data:`ORDINAL_WORDS` for 第X….
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二三四五六七八九十百千两"

# The words of 第X… headings, most senior first. 部分 is one word: 第一部分：发展基础.
ORDINAL_WORDS = ("编", "篇", "部分", "章", "节", "条", "款")
ANNEX = "附件"

# Rank of each scheme: lower is more senior. Used when a scheme first appears, to place it in the tree.
# An annex outranks everything: it is a section of its own, never nested under the body's last heading.
SCHEME_RANK = {
    ANNEX: -1,
    **{"第" + word: rank for rank, word in enumerate(ORDINAL_WORDS)},
    "cn、": 10, "（cn）": 11, "n.": 12, "n.n": 12.3, "n.n.n": 12.6, "n.n.n.n": 12.8, "n、": 13, "（n）": 14, "①": 15,
}
# Dotted numbers (1 / 1.1 / 1.1.1, as technical plans number their sections): the scheme of each depth
# below the first, whose number carries its parents' (4.1.2 under 4.1 under 4).
DOTTED = ("n.n", "n.n.n", "n.n.n.n")
# Schemes whose label joins number and title with a separator ("第一章 总则", "第一部分：发展基础",
# "附件1：主要指标"); the others are written together ("一、总体要求").
_LABEL_SEPARATOR = {"第部分": "：", ANNEX: "："}

_ORDINAL = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
_PATTERNS: list[tuple[str, re.Pattern]] = [
    # 附件1：…  附件一 …  附件2 (alone on its line): the number must end the word, not run into prose.
    # 附件 alone on its line: a plan's single annex (its title on the next line)
    # (附件： alone is the notice's list of attachments, not an annex)
    (ANNEX, re.compile(rf"附\s*件\s*(?:([{CN_NUM}\d]{{1,3}})(?=\s|[：:、.．]|$)\s*[：:、.．]?|[^\S\n]*(?=\n|$))")),
    ("第", re.compile(rf"第\s*([{CN_NUM}\d]+)\s*({_ORDINAL})")),
    ("cn、", re.compile(rf"([{CN_NUM}]+)\s*[、]")),
    ("（cn）", re.compile(rf"[（(]\s*([{CN_NUM}]+)\s*[）)]")),
    # 4.1 / 4.1.2 followed by a space and the title's words (not 3.4倍, not 2.5 万个 inside prose: a
    # heading also has to continue its parents' numbers, see structure)
    ("n.n.n.n", re.compile(r"(\d{1,2})[.．](\d{1,2})[.．](\d{1,2})[.．](\d{1,2})(?=[ \u3000]+[\u4e00-\u9fff])")),
    ("n.n.n", re.compile(r"(\d{1,2})[.．](\d{1,2})[.．](\d{1,2})(?=[ \u3000]+[\u4e00-\u9fff])")),
    ("n.n", re.compile(r"(\d{1,2})[.．](\d{1,2})(?=[ \u3000]+[\u4e00-\u9fff])")),
    # 1. / 1． / 1、 but not 3.4倍 or 2021. (2.2026年底前完成…, 3.5G智慧校园建设: a year, or a name in
    # digits and letters as titles open with them, after the point is the title's)
    ("n.", re.compile(r"(\d{1,3})\s*[.．](?:(?=(?:19|20)\d{2}\s*年|\d[A-Za-z])|(?![\d.．]))")),
    ("n、", re.compile(r"(\d{1,3})\s*、")),
    ("（n）", re.compile(r"[（(]\s*(\d{1,3})\s*[）)]")),
    ("①", re.compile(r"([①-⑳])")),
]
# A note's mark: a circled number set right after a word, where a superscript prints (城市绿色出行比例①达到
# 75%以上); its note is a line opening with the same mark (①绿色出行比例，指…), not an item of a ① list. (A
# list's ② follows a sentence's end or a line break: ①坚持创新驱动。②坚持系统观念。)
NOTE_MARK = re.compile(r"(?<=[\u4e00-\u9fffA-Za-z0-9%％）)”’》」])[①-⑳]")
# A table's or box's caption line (表2 …主要指标表, 附表1, 专栏3 重点工程): not a heading, but it names the
# block under it.
CAPTION = re.compile(r"^(?:表|附表)\s*\d|^专栏\s*\d")
# Any heading number at a position, without the sequence check (for line joining in cleaning and PDFs).
# (not the dotted numbers: a line starting 1.2 万个 is a sentence broken before a decimal far more often than
# a 1.2 heading, and structure checks a dotted heading against its parents' numbers instead)
HEADING_START = re.compile("|".join(f"(?:{p.pattern})" for scheme, p in _PATTERNS if scheme not in DOTTED))


@dataclass(frozen=True, slots=True)
class Number:
    """A heading number found at some position of the text."""

    scheme: str  # a key of SCHEME_RANK
    value: int
    end: int  # offset just past the number (and its punctuation) in the searched string
    raw: str  # the number as written


def cn_to_int(text: str) -> int | None:
    """Chinese numeral (一, 十四, 二十四, 一百零二, 二〇三五) or Arabic digits → int; None if not a number."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in _CN_DIGITS for ch in text):  # digit by digit, as in years: 二〇三五
        if len(text) == 1:
            return _CN_DIGITS[text]
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def int_to_cn(value: int) -> str:
    """1 → 一, 14 → 十四, 24 → 二十四, 105 → 一百零五 (the way plans number their sections)."""
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value % 10] if value % 10 else "")
    if value < 100:
        return digits[value // 10] + "十" + (digits[value % 10] if value % 10 else "")
    rest = value % 100
    head = digits[value // 100] + "百"
    if rest == 0:
        return head
    return head + ("零" + digits[rest] if rest < 10 else int_to_cn(rest) if rest >= 20 else "一" + int_to_cn(rest))


def match_number(text: str, pos: int = 0) -> Number | None:
    """The heading number that starts exactly at ``pos`` of ``text``, if any."""
    for scheme, pattern in _PATTERNS:
        m = pattern.match(text, pos)
        if not m:
            continue
        if scheme == "第":
            value = cn_to_int(m.group(1))
            if value is None:
                continue
            return Number("第" + m.group(2), value, m.end(), m.group(0))
        if scheme == ANNEX:
            value = cn_to_int(m.group(1)) if m.group(1) else 1
            if not value:
                continue
            return Number(scheme, value, m.end(), m.group(0))
        if scheme == "①":
            return Number(scheme, ord(m.group(1)) - ord("①") + 1, m.end(), m.group(0))
        if scheme in DOTTED:  # 4.1.2: its value is the last number, its raw form all of them (4.1.2)
            if any(int(g) == 0 for g in m.groups()):
                continue
            return Number(scheme, int(m.group(m.lastindex)), m.end(), ".".join(str(int(g)) for g in m.groups()))
        value = cn_to_int(m.group(1))
        if value is None or value == 0:
            continue
        return Number(scheme, value, m.end(), m.group(0))
    return None


# A number set off from its title by a space alone (一　总体要求, １　培育壮大电子信息制造业): headings typeset
# without 、 or ． and copied from a PDF. Read as 一、 and 1. are; the caller checks that the whole line is a
# short title (a number and a space also start prose and table rows).
_BARE = re.compile(rf"([{CN_NUM}]{{1,3}}|\d{{1,2}})[ \u3000\u00a0]+(?=[\u4e00-\u9fff])")


def bare_number(text: str, pos: int = 0) -> Number | None:
    m = _BARE.match(text, pos)
    value = cn_to_int(m.group(1)) if m else None
    # a numeral as numbers are written (十四, not 十四五 as in 十四五 规划)
    if not value or (not m.group(1).isdigit() and int_to_cn(value) != m.group(1)):
        return None
    return Number("n." if m.group(1).isdigit() else "cn、", value, m.end(), m.group(0))


def canonical(scheme: str, value: int) -> str:
    """The number written canonically: 四、 （一） 1. 1、 （1） ① 第三章 第一部分 附件1."""
    if scheme.startswith("第"):
        return f"第{int_to_cn(value)}{scheme[1:]}"
    if scheme == ANNEX:
        return f"{ANNEX}{value}"
    return {
        "cn、": f"{int_to_cn(value)}、",
        "（cn）": f"（{int_to_cn(value)}）",
        "n.": f"{value}.",
        "n.n": f"{value}",  # the last number only: a label writes the whole (structure, Number.raw)
        "n.n.n": f"{value}",
        "n.n.n.n": f"{value}",
        "n、": f"{value}、",
        "（n）": f"（{value}）",
        "①": chr(ord("①") + value - 1),
    }[scheme]


def label_separator(scheme: str) -> str:
    """What joins a heading's number and its title in a canonical label: '' (一、总体要求), ' '
    (第一章 总则) or '：' (第一部分：发展基础, 附件1：主要指标)."""
    if scheme in _LABEL_SEPARATOR:
        return _LABEL_SEPARATOR[scheme]
    return " " if scheme.startswith("第") else ""


def is_annex(scheme: str) -> bool:
    return scheme == ANNEX


def short(scheme: str, value: int) -> str:
    """The number in a short citation: 四 （一） 1 （1） ① 第三章 (joined without separators)."""
    return canonical(scheme, value).rstrip("、.")


# How officials cite a numbered section: 第四部分第（三）项第3条 in a plan, 第五条第（一）项第2目 in a
# regulation. The words follow the level below the last 第X… heading (one list per situation).
_OFFICIAL_WORDS = ("部分", "项", "条", "目", "点")
_OFFICIAL_WORDS_UNDER_ORDINAL = ("项", "目", "点", "点", "点")


def official_numbers(numbers: list[tuple[str, int]]) -> str:
    """A path of heading numbers as officials cite it, e.g. [(cn、,4), (（cn）,3), (n.,3)] → 第四部分第（三）项第3条."""
    out, depth = [], 0
    # (an annex counts as a 第X…: its items are 附件2第3项, not 第3部分, which is the body's)
    under_ordinal = any(scheme.startswith("第") or scheme == ANNEX for scheme, _ in numbers)
    words = _OFFICIAL_WORDS_UNDER_ORDINAL if under_ordinal else _OFFICIAL_WORDS
    for scheme, value in numbers:
        if scheme.startswith("第") or scheme == ANNEX:
            out.append(canonical(scheme, value))
            continue
        out.append(f"第{short(scheme, value)}{words[min(depth, len(words) - 1)]}")
        depth += 1
    return "".join(out)
