"""Glossaries (名词解释, 术语解释): a list of terms and their definitions after a plan's body.

A glossary is not part of the body's numbering: its entries are often numbered 1. 2. 3. like the
body's clauses, and read as headings they would nest under the body's last section. It is found by its
head line — 名词解释, 附：名词解释, 附件3：术语解释, with or without a colon — followed by entries of the form
``[number] term：definition`` (also ``【term】definition``, ``term——definition`` and ``term，是指…``); a
line that opens no entry continues the one before. The glossary runs to the next annex, the tail of the
document (抄送, 印发, a signature, a date) or the end of the text.

Each entry becomes a clause of kind ``glossary`` (one per term, cited as 名词解释 + the term), under a
top-level heading of its own that the outline shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .numbering import CN_NUM, match_number

GLOSSARY_WORDS = (
    "名词术语解释",
    "名词解释",
    "术语解释",
    "名词注释",
    "名词说明",
    "术语说明",
    "名词術語解釋",
    "名詞解釋",
    "術語解釋",
)
_HEAD = re.compile(
    rf"^(?:(?P<annex>附\s*件\s*[{CN_NUM}\d]{{1,3}})\s*[：:、.．]?\s*|附\s*[：:]?\s*|附录\s*[：:]?\s*)?"
    rf"(?:主要|有关|相关|常用|部分)?(?P<title>{'|'.join(GLOSSARY_WORDS)})\s*[：:]?$"
)
# 附录 (or 附：) alone on the line above a glossary's head is the glossary's, not the body's last words.
_APPENDIX_LINE = re.compile(r"^(?:附录|附錄|附)\s*[：:]?$")
# The term of an entry: a short phrase ended by a colon, a dash, 是指 / 指, or set in 【】.
_TERM = r"[^：:，,。；;！？\s【】]{2,30}?"
_ENTRY = re.compile(
    rf"^\s*(?:【(?P<bracketed>[^】]{{1,30}})】|(?P<term>{_TERM})\s*(?:[：:]|——|[，,]?(?:是指|系指|指)))\s*\S"
)
MAX_ENTRY_LINES = 40  # an entry longer than this is not a definition: the glossary has ended


@dataclass(frozen=True, slots=True)
class Glossary:
    """A glossary found in the text: its head (the head line and any words before the first entry) and
    its entries as (term, start, end) spans."""

    label: str  # 名词解释, or 附件3：名词解释 when it is an annex
    head: tuple[int, int]
    entries: tuple[tuple[str, int, int], ...]

    @property
    def span(self) -> tuple[int, int]:
        return self.head[0], self.entries[-1][2]


def head_label(line: str) -> str | None:
    """名词解释 for a glossary's head line (附件N：名词解释 for an annex), None for any other line."""
    m = _HEAD.match(line.strip())
    if not m:
        return None
    if m.group("annex"):
        num = match_number(m.group("annex"))
        return f"附件{num.value}：{m.group('title')}" if num else m.group("title")
    return m.group("title")


def entry_term(line: str) -> str | None:
    """The term an entry line defines (its number dropped), or None when the line opens no entry."""
    line = line.strip()
    num = match_number(line)
    if num and not num.raw.startswith("附"):
        line = line[num.end :].lstrip()
    m = _ENTRY.match(line)
    if not m:
        return None
    term = (m.group("bracketed") or m.group("term")).strip("“”\"'《》 ")
    return term if len(re.findall(r"[\u4e00-\u9fffA-Za-z]", term)) >= 2 else None


def find_glossaries(text: str, start: int, stops: Callable[[str], bool]) -> list[Glossary]:
    """The glossaries of ``text`` from offset ``start``. ``stops(line)`` says which line ends one (an
    annex, 抄送, a signature …). A head line with no entry under it is no glossary."""
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if pos + len(line) >= start:
            lines.append((pos, line))
        pos += len(line) + 1
    out: list[Glossary] = []
    i = 0
    while i < len(lines):
        pos, line = lines[i]
        label = head_label(line) if line.strip() else None
        if label is None:
            i += 1
            continue
        head_start = pos + len(line) - len(line.lstrip())
        above = next((k for k in range(i - 1, max(i - 3, -1), -1) if lines[k][1].strip()), None)
        if above is not None and _APPENDIX_LINE.match(lines[above][1].strip()):
            head_start = lines[above][0] + len(lines[above][1]) - len(lines[above][1].lstrip())
        entries: list[list] = []  # [term, start, end, lines]
        j = i + 1
        while j < len(lines):
            p, ln = lines[j]
            s = ln.strip()
            if s:
                if stops(s) or head_label(s):
                    break
                term = entry_term(s)
                if term:
                    entries.append([term, p + len(ln) - len(ln.lstrip()), p + len(ln.rstrip()), 1])
                elif entries:
                    if entries[-1][3] >= MAX_ENTRY_LINES:
                        break
                    entries[-1][2], entries[-1][3] = p + len(ln.rstrip()), entries[-1][3] + 1
                elif j - i > 3:  # words before the first entry: an intro line or two, not a page of prose
                    break
            j += 1
        if entries:
            first = entries[0][1]
            head_end = len(text[:first].rstrip())
            out.append(Glossary(label, (head_start, head_end), tuple((t, s, e) for t, s, e, _ in entries)))
            i = j
        else:
            i += 1
    return out
