"""Frozen results of retrieval: Hit → Citation, Highlight, Answer, RegionCoverage."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.records import Clause, Document

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Citation:
    """How to cite a clause: one canonical form, exact to the character, and a short form."""

    canonical: str  # 《青海省“十四五”知识产权保护和运用规划》 四、重点任务 （一）强化知识产权全链条保护 1.完善…
    short: str  # 青海省 · 四（一）1
    region: str
    title: str
    section: str  # section path joined with " > "
    clause_id: str
    source: str  # file name in data/
    official: str = ""  # 《…》第四部分第（一）项第1条: as officials cite it
    simplified: str = ""  # the canonical form in simplified characters (the same when the title is)

    def __str__(self) -> str:
        return self.canonical


@dataclass(frozen=True, slots=True)
class Highlight:
    """What in a clause's displayed text answers the query: whole sentences, and matched terms."""

    sentences: tuple[Span, ...] = ()
    terms: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked clause that explains itself: both retrievers' scores and ranks beside the fused score."""

    clause: Clause
    document: Document
    rank: int  # 1-based
    score: float  # fused score (higher is better)
    dense_score: float | None = None  # cosine similarity, None when the clause was not among the dense candidates
    dense_rank: int | None = None
    lexical_score: float | None = None  # BM25
    lexical_rank: int | None = None
    reasons: tuple[str, ...] = ()  # e.g. 'section reference', 'region named in query', 'document type'

    @property
    def clause_id(self) -> str:
        return self.clause.clause_id


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    citation: Citation
    clause_id: str


@dataclass(frozen=True, slots=True)
class Answer:
    """A short extractive answer, or an abstention when the plans do not cover the question."""

    text: str  # the answer as one paragraph (or the abstain message)
    abstain: bool
    sentences: tuple[AnswerSentence, ...] = ()
    figures: tuple[str, ...] = ()  # for how-much / target questions: '1.5件（2025年）'
    departments: tuple[str, ...] = ()  # for who-is-responsible questions, lead first
    confidence: float = 0.0
    # Answered, but the calibrated probability that the clauses answer is under one half (answer.TENTATIVE_BELOW)
    tentative: bool = False
    # Abstained because the question asks for a kind of fact (金额, 时间 …) that none of the best clauses states
    unstated: str = ""
    # Abstained because the best clauses' figures are of other years than the one asked (到2030年…多少 where
    # they state 2025's): the words said (「所收录的规划中没有找到写明2030年数值的条款（…2025年的）。」)
    year_note: str = ""


@dataclass(frozen=True, slots=True)
class RegionCoverage:
    """One region's answer to a comparison: its best clauses, or nothing when it does not cover the topic."""

    region: str
    region_level: str
    hits: tuple[Hit, ...] = ()
    # Shown, but no clause of it is close in meaning or holds COVERAGE_COVERS of the topic's weighted
    # terms: it shares some of the topic's words and may not be about it (answer.partly_covers)
    partial: bool = False
    # Per hit, in order: whether that clause passes only on shared words (the region's first may cover the
    # topic and its second only partly); () where no judge of it was asked (similar_to)
    partial_hits: tuple[bool, ...] = ()

    @property
    def covered(self) -> bool:
        return bool(self.hits)


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict a search. Empty fields do not restrict."""

    regions: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    department: str = ""  # substring of any responsible department
    section_prefix: tuple[str, ...] = ()  # labels root first
    kinds: tuple[str, ...] = field(default=())  # e.g. ('indicator',)

    def __bool__(self) -> bool:
        return bool(self.regions or self.levels or self.doc_ids or self.department or self.section_prefix or self.kinds)
