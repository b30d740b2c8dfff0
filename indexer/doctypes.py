"""Document types: the one list of the words that name what a document is (规划, 实施意见, 条例 …).

Used to recognise a title line, to give a document its type, and (through :func:`doc_type`) anywhere
else a type is read from a title. Words are simplified Chinese; callers simplify first.
"""

from __future__ import annotations

import re

from .textnorm import simplify

# Longer words first where one contains another: the longer is the more exact type.
DOC_TYPES = (
    "规划纲要", "纲要", "规划",
    "实施方案", "行动方案", "方案",
    "行动计划", "计划",
    "实施意见", "意见",
    "条例", "办法",
    "实施细则", "细则", "规定",
    "决定", "决议",
    "措施", "通知",
    # 年度工作要点, 三年行动（2025—2027年）, 若干政策, 工作清单, 政府工作报告: plans in all but name
    "工作要点", "要点", "三年行动", "行动", "若干政策", "政策", "工作清单", "清单", "工作报告",
)
_TITLE_WORD = re.compile("|".join(DOC_TYPES))


def names_a_type(line: str) -> bool:
    """Whether a line names a document type anywhere (a candidate title line)."""
    return bool(_TITLE_WORD.search(simplify(line)))


def doc_type(title: str) -> str:
    """规划 / 实施意见 / 条例 …: the type word that ends last in the title, outside 《》; of two
    ending together (实施意见, 意见) the longer."""
    outside = re.sub(r"《[^》]*》", "", simplify(title))
    ends = {word: outside.rfind(word) + len(word) for word in DOC_TYPES if word in outside}
    return max(ends, key=lambda w: (ends[w], len(w)), default="")
