"""Is each sentence of a model's answer supported by the clauses it cites?

A sentence is supported when
1. it cites at least one clause that was offered (citations to numbers that were not offered are dropped);
2. every figure in it occurs in the cited clauses: each number with its unit (the answer's own figure
   grammar, ``retrieval.answer._FIGURE``: 1.5件, 80%, 3亿元, 三倍) and each Arabic number or year on its own;
3. its key terms occur there: of its words (the index's own jieba split, ``indexer.lexical.tokenize``, words
   of two or more characters, function words left out), weighted by their IDF in the corpus, at least
   ``MIN_TERM_COVERAGE`` must occur in the cited clauses (text, section path, region and title).
   Words, not the character bigrams of ``retrieval.highlight.query_terms``: the bigram across two words
   of a paraphrase (用知, 权进) is rare in the corpus, so weighs most, and means nothing.

All matching runs on the search form (NFKC, traditional→simplified), so ２０２５ matches 2025 and a
traditional clause supports a simplified sentence. Unsupported sentences are dropped from the answer's
text and kept, marked ``supported=False`` with the reason, in its sentence list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from indexer.lexical import tokenize
from indexer.textnorm import search_form

from ..answer import _FIGURE
from .prompt import Source

# Set on paraphrases of the bundled plans' finance and standards clauses: faithful one-sentence
# summaries kept 0.5–1.0 of their weighted words, sentences about another clause's topic 0.0–0.35.
MIN_TERM_COVERAGE = 0.5
UNKNOWN_TERM_WEIGHT = 1.0  # a word no clause has: as much as a common plan word
# Words that say how, not what: a paraphrase adds them freely.
_GENERIC = frozenset(
    "可以 能够 进行 通过 获得 需要 相关 主要 包括 方面 其中 以及 同时 目前 已经 按照 根据 有关 一些 这些 此外 表示 指出".split()
)

_MARK = r"(?:\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]|【\s*\d+(?:\s*[,，、]\s*\d+)*\s*】|［\s*[\d０-９]+(?:\s*[,，、]\s*[\d０-９]+)*\s*］)"
_MARKS = re.compile(r"\s*" + _MARK)
# A sentence: up to 。！？ (not ；: a model's list joined by ；often carries one citation at its end), with
# its closing quotes, then the citation marks that follow it ("…贷款。[1]" as well as "…贷款[1]。").
_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+[”’」』）)]*)?(?:" + r"\s*" + _MARK + r")*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DECOR = re.compile(r"\*\*|__|^\s*(?:#+|[-*•])\s+", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CheckedSentence:
    text: str  # without its citation marks
    citations: tuple[int, ...]  # offered source numbers it cites, in order
    supported: bool
    problem: str = ""  # why not: 'no citation', 'figure 30亿元 not in [1]', 'terms 0.21 < 0.5 in [2]'


def split(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    """The answer's sentences, each with the numbers of the citation marks it carries (as written)."""
    out = []
    for m in _SENTENCE.finditer(_DECOR.sub("", answer)):
        piece = m.group()
        numbers = tuple(
            int(search_form(d).text) for mark in _MARKS.findall(piece) for d in re.findall(r"[\d０-９]+", mark)
        )
        text = _MARKS.sub("", piece).strip()
        if any(ch.isalnum() for ch in text):
            out.append((text, numbers))
    return out


def check(answer: str, offered: Sequence[Source], weights: Mapping[str, float]) -> list[CheckedSentence]:
    """Every sentence of ``answer`` checked against the ``offered`` sources it cites."""
    by_n = {s.n: s for s in offered}
    out = []
    for text, numbers in split(answer):
        cited = tuple(dict.fromkeys(n for n in numbers if n in by_n))
        if not cited:
            out.append(CheckedSentence(text, (), False, "no citation"))
            continue
        evidence = "\n".join(_evidence(by_n[n]) for n in cited)
        problem = _unsupported(text, evidence, weights)
        where = "".join(f"[{n}]" for n in cited)
        out.append(CheckedSentence(text, cited, not problem, f"{problem} in {where}" if problem else ""))
    return out


def _evidence(source: Source) -> str:
    """What a sentence citing ``source`` may draw on, on the search form without spaces."""
    c = source.citation
    return "".join(search_form(f"{c.region}\n{c.title}\n{source.section}\n{source.text}").text.split())


def _figure_in(num: str, unit: str, evidence: str) -> bool:
    """1.5件 is in the evidence as written, or (an indicator row: 「拥有量（件）…1.5」) its unit is stated
    in brackets and the number stands on its own."""
    if f"{num}{unit}" in evidence:
        return True
    return f"({unit})" in evidence and _number_in(num, evidence)


def _number_in(number: str, evidence: str) -> bool:
    return re.search(r"(?<![\d.])" + re.escape(number) + r"(?![\d]|\.\d)", evidence) is not None


def _unsupported(sentence: str, evidence: str, weights: Mapping[str, float]) -> str:
    """'' when the evidence supports the sentence, else what is missing."""
    form = "".join(search_form(sentence).text.split())
    for m in _FIGURE.finditer(form):
        figure = f"{m.group('num')}{m.group('unit')}"
        if not _figure_in(m.group("num"), m.group("unit"), evidence):
            return f"figure {figure} not"
    for number in _NUMBER.findall(form):
        if not _number_in(number, evidence):
            return f"number {number} not"
    terms = {t for t in tokenize(form, "jieba") if len(t) > 1 and t not in _GENERIC and not _NUMBER.fullmatch(t)}
    total = sum(weights.get(t, UNKNOWN_TERM_WEIGHT) for t in terms)
    if not total:
        return ""
    found = sum(weights.get(t, UNKNOWN_TERM_WEIGHT) for t in terms if t in evidence)
    coverage = found / total
    return "" if coverage >= MIN_TERM_COVERAGE else f"terms {coverage:.2f} < {MIN_TERM_COVERAGE}"
