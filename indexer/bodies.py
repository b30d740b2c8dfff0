"""The words that name public bodies, shared by the reader of headings (indexer.structure) and the reader of
departments (indexer.clauses): one list each, so that a heading's note and a clause's department agree;
and the forms one department's name is written in (``departments.tsv``: 人社 / 人力资源社会保障)."""

from __future__ import annotations

import functools
import itertools
import re

from . import packs
from .textnorm import to_simplified

# The words a body's name ends in (…局, …厅, …部门): one list, also used to check model-written answers.
ORGAN_ENDINGS = ("部门", "局", "委员会", "委", "厅", "办公室", "政府", "机构", "机关", "中心", "法院", "检察院", "单位")
# Of those, the ones a government body ends in: 单位 / 机构 / 中心 are as often whom a regulation binds.
GOVERNMENT_ENDINGS = tuple(e for e in ORGAN_ENDINGS if e not in ("机构", "中心", "单位"))
# The labels of a list of bodies: 责任单位：A、B; 牵头 names the lead, 配合 / 参与 / 协办 the others.
LABELS = "责任单位|责任部门|牵头单位|牵头部门|主责单位|配合单位|配合部门|参与单位|协办单位"

# A name that stands for many bodies, not one (各有关部门, 有关单位, 各市州政府, …等部门): no department to filter by.
_COLLECTIVE = re.compile(r"^(?:各|有关|相关|其他|其它)|等(?:有关|相关)?(?:部门|单位)$")


def is_collective(name: str) -> bool:
    return bool(_COLLECTIVE.search(name))


@functools.cache
def _forms() -> tuple[tuple[str, ...], ...]:
    return tuple(row for row in packs.rows("departments.tsv") if len(row) >= 2)


MAX_FORMS = 16  # spellings of one typed name tried at most (each alias group multiplies them)


def department_forms(name: str) -> tuple[str, ...]:
    """``name`` as written and in the other forms of each department word it holds (省人社厅 → 省人力资源社会
    保障厅, 省人力资源和社会保障厅), at most MAX_FORMS: what a department filter looks for."""
    choices: list[tuple[str, tuple[str, ...]]] = []
    rest = name
    for group in _forms():
        for form in sorted(group, key=len, reverse=True):  # the longest written form (发改委 before 发改)
            if form in rest:
                choices.append((form, group))
                rest = rest.replace(form, "\0", 1)
                break
    if not choices:
        return (name,)
    out = []
    for picked in itertools.product(*(group for _, group in choices)):
        spelled = rest
        for (_, _), form in zip(choices, picked, strict=True):
            spelled = spelled.replace("\0", form, 1)
        out.append(spelled)
    return tuple(dict.fromkeys([name, *out]))[:MAX_FORMS]


def department_key(name: str) -> str:
    """One spelling per department however it is written (its words in their short forms, simplified script)."""
    key = to_simplified(name)
    for group in _forms():
        for form in sorted(group, key=len, reverse=True):
            key = key.replace(form, group[0])
    return key
