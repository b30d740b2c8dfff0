"""What kind of fact a question asks for, and whether the best clauses state one.

    asked("精河枸杞项目的建设资金有多少？")                 # ('money',)
    unstated(("money",), [clause.text for clause in best])  # '金额' when none of them names a sum

A question that asks for a sum, a share, a time limit, a date or a way to reach someone is answered only
by a clause that states one. Plans mention many topics without the fact asked about (a project without
its budget, a regulation without its fee): the nearest clause then shares the question's words and
reads like an answer to every ranking signal, but it does not say what was asked. The kinds and their
patterns are data (``indexer/resources/answer-types.tsv``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from indexer import packs
from indexer.textnorm import search_form


@dataclass(frozen=True, slots=True)
class AnswerType:
    name: str  # money, ratio, duration, date, contact
    label: str  # what readers are told is not stated: 金额, 比例 …
    question: re.Pattern
    evidence: re.Pattern


@functools.cache
def answer_types() -> tuple[AnswerType, ...]:
    return tuple(
        AnswerType(name, label, re.compile(question), re.compile(evidence))
        for name, label, question, evidence in packs.rows("answer-types.tsv")
    )


def asked(search_text: str) -> tuple[str, ...]:
    """The kinds of fact a (simplified Chinese) question asks for, in the pack's order."""
    return tuple(t.name for t in answer_types() if t.question.search(search_text))


def unstated(kinds: tuple[str, ...], texts: list[str]) -> str:
    """'' when some of ``texts`` states a fact of a kind asked for (补偿比例是多少 asks for a sum or a share:
    either will do), else the label of the first kind asked."""
    types = [t for t in answer_types() if t.name in kinds]
    if not types:
        return ""
    forms = [search_form(text).text for text in texts]
    if any(t.evidence.search(form) for t in types for form in forms):
        return ""
    return types[0].label
