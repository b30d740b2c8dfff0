"""What kind of fact a question asks for, and whether the best clauses state one.

    asked("精河枸杞项目的建设资金有多少？")                 # ('money',)
    unstated(("money",), [clause.text for clause in best], terms)  # '金额' when none of them names a sum

A question that asks for a sum, a share, a time limit, a date, a way to reach someone or what it takes
(conditions, papers, steps) is answered only by a clause that states one. Plans mention many topics
without the fact asked about (a project without its budget, a regulation without its fee): the nearest
clause then shares the question's words and reads like an answer to every ranking signal, but it does not
say what was asked. The kinds and their patterns are data (``indexer/resources/answer-types.tsv``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from indexer import packs
from indexer.sentences import sentence_spans
from indexer.textnorm import search_form


@dataclass(frozen=True, slots=True)
class AnswerType:
    name: str  # money, ratio, duration, date, contact, conditions
    label: str  # what readers are told is not stated: 金额, 比例 …
    question: re.Pattern
    evidence: re.Pattern


@functools.cache
def answer_types() -> tuple[AnswerType, ...]:
    return tuple(
        AnswerType(name, label, re.compile(question), re.compile(evidence))
        for name, label, question, evidence in packs.rows("answer-types.tsv")
    )


def label(kind: str) -> str:
    """What readers are told is not stated for a kind of fact (money → 金额)."""
    return next(t.label for t in answer_types() if t.name == kind)


def asked(search_text: str) -> tuple[str, ...]:
    """The kinds of fact a (simplified Chinese) question asks for, in the pack's order."""
    return tuple(t.name for t in answer_types() if t.question.search(search_text))


def unstated(kinds: tuple[str, ...], texts: list[str], terms: Collection[str] = ()) -> str:
    """'' when some of ``texts`` states a fact of a kind asked for (补偿比例是多少 asks for a sum or a share:
    either will do), else the label of the first kind asked.

    With ``terms`` (the question's, ``retrieval.highlight.query_terms``), the fact must stand in a
    sentence that holds one of them (a text none of whose sentences does counts whole): a clause on the
    topic states a figure about something else more often than not (a regulation's fine beside the
    licence whose term was asked, a plan's 8.1亿元 of loans beside the prize whose amount was asked)."""
    types = [t for t in answer_types() if t.name in kinds]
    if not types:
        return ""
    # a word that only makes a number a fact of the kind asked (元, 万元, 小时 …) names no topic
    terms = [w for w in terms if not any(t.evidence.search("1" + w) for t in types)]
    pieces = [piece for text in texts for piece in _stating(search_form(text).text, terms)]
    if any(t.evidence.search(piece) for t in types for piece in pieces):
        return ""
    return types[0].label


def _stating(form: str, terms: Collection[str]) -> list[str]:
    """The sentences of a search-form text that hold one of ``terms``; the whole text when none does. A
    table (lines with tabs) is one sentence with the line before it: its heading names what its cells state."""
    if not terms:
        return [form]
    near = [form[a:b] for a, b in _units(form) if any(t in form[a:b] for t in terms)]
    return near or [form]


def _units(form: str) -> list[tuple[int, int]]:
    """``sentence_spans`` with each run of table rows joined, together with the sentence before it."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(form):
        if "\t" in form[a:b] and out:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
