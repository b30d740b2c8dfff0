"""Is each sentence of a model's answer supported by the clauses it cites?

A sentence is supported when
1. it cites at least one clause that was offered (citations to numbers that were not offered are dropped);
2. every figure in it occurs in the cited clauses: each number with its unit (the answer's own figure
   grammar, ``retrieval.figures.FIGURE``: 1.5件, 80%, 3亿元, 三倍) and each Arabic number or year on its own;
3. what would turn it into a different statement occurs there too: each negation or prohibition with
   the word it negates (不支持, 不得, 禁止), each region it names, each organisation it names (…局, …厅,
   …部门), and an organisation said to lead (X牵头) leads in the cited clause; a figure written in Chinese
   numerals (三百亿元) is compared by its value;
4. its key terms occur there: of its words (the index's own jieba split, ``indexer.lexical.tokenize``, words
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

from indexer.clauses import ORGAN_ENDINGS, parse_departments
from indexer.lexical import tokenize
from indexer.numbering import CN_NUM, cn_to_int
from indexer.targets import UNIT_PATTERN
from indexer.textnorm import search_form

from ..figures import FIGURE
from .prompt import Source

# Set on paraphrases of the bundled plans' finance and standards clauses: faithful one-sentence
# summaries kept 0.5–1.0 of their weighted words, sentences about another clause's topic 0.0–0.35.
MIN_TERM_COVERAGE = 0.5
# A word no clause has weighs as much as the rarest word that does: invented content must not count less
# than the words it is mixed with.
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
# A negation or prohibition with the word it applies to (不支持, 未纳入); 不断, 不少于 … are not negations
# of what follows, but they must occur in the clause all the same.
_NEGATION = re.compile(r"(?:不得|不准|不予|不再|禁止|严禁|无须|无需|取消|停止|不|未|非)[\u4e00-\u9fff]")
_CN_FIGURE = re.compile(rf"(?P<num>[{CN_NUM}]+)(?P<mult>万|亿)?(?P<unit>{UNIT_PATTERN})")
# Organisations a sentence names, by the departments grammar's own endings, less the generic ones a
# paraphrase uses freely (有关单位, 各机构).
_GENERIC_ORGANS = ("委", "单位", "机构", "机关")
_ORGAN = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:" + "|".join(e for e in ORGAN_ENDINGS if e not in _GENERIC_ORGANS) + ")")
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
    for m in FIGURE.finditer(form):
        figure = f"{m.group('num')}{m.group('unit')}"
        if not _figure_in(m.group("num"), m.group("unit"), evidence):
            return f"figure {figure} not"
    for number in _NUMBER.findall(form):
        if not _number_in(number, evidence):
            return f"number {number} not"
    for m in _CN_FIGURE.finditer(form):
        value = cn_to_int(m.group("num"))
        mult = m.group("mult") or ""
        if value is not None and m.group(0) not in evidence and f"{value}{mult}{m.group('unit')}" not in evidence:
            return f"figure {m.group(0)} not"
    problem = _changed_statement(form, evidence)
    if problem:
        return problem
    terms = {t for t in tokenize(form, "jieba") if len(t) > 1 and t not in _GENERIC and not _NUMBER.fullmatch(t)}
    unknown = max(weights.values(), default=1.0)
    total = sum(weights.get(t, unknown) for t in terms)
    if not total:
        return ""
    found = sum(weights.get(t, unknown) for t in terms if t in evidence)
    coverage = found / total
    return "" if coverage >= MIN_TERM_COVERAGE else f"terms {coverage:.2f} < {MIN_TERM_COVERAGE}"


def _changed_statement(form: str, evidence: str) -> str:
    """What would make a well-worded sentence say something its clause does not: a negation, a region,
    an organisation or a lead role the clause lacks ('' when there is none)."""
    from ..places import named_places

    for m in _NEGATION.finditer(form):
        if m.group(0) not in evidence:
            return f"negation {m.group(0)} not"
    for region in named_places(form):
        if not any(name in evidence for name in (region.name, *region.short_names)):
            return f"region {region.name} not"
    for m in _ORGAN.finditer(form):
        organ = m.group(0)
        if organ not in evidence and organ[-4:] not in evidence:
            return f"organisation {organ} not"
    leads = parse_departments(evidence).lead
    for m in re.finditer(r"([\u4e00-\u9fff]{2,12}?)牵头", form):
        if leads and not any(m.group(1).endswith(lead) or lead.endswith(m.group(1)) for lead in leads):
            return f"lead {m.group(1)} not"
    return ""
