"""From two ranked candidate lists to result hits: one pure function for every backend.

The files backend (``search.Searcher``) and the Milvus backend (``milvus.MilvusSearcher``) differ in
how they find candidates; how those candidates become a ranked list of hits is defined here once:

    hits = fuse_hits(pq, dense, lexical, mode=..., weights=..., pinned=[...], k=10,
                     fetch=records_by_id, documents=docs, preferred=doc_ids_of_the_asked_type,
                     facts=facts_by_id)   # optional: what ranking needs of every candidate, from columns

Weighted reciprocal-rank fusion of the dense and lexical lists, a small boost for the document type a
question names and for clauses naming departments when it asks who is responsible, resolved section
references pinned first in document order, each region's best first for a comparison, and one part of
a long clause per result list. Same input, same order (ties by clause id).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from indexer.numbering import match_number
from indexer.records import Clause, Document
from indexer.regions import short_names
from indexer.textnorm import search_form

from .fusion import RRF_K, ordered, rrf
from .query import ParsedQuery, ref_indicator
from .records import Hit, RegionCoverage
from .regulations import article_id, paragraph_asked, paragraph_of

MODES = ("hybrid", "dense", "lexical")
# A clause as a query (similar_to) keeps its 40 most telling tokens by count × IDF, as Lucene's MoreLikeThis
# keeps a document's best terms by tf·idf (25 by default): the ~100 tokens of a whole clause include its
# commonest words (知识产权, 加强 …), whose postings cover much of a large corpus and say little about which
# clause is alike. 40 rather than 25: the clause shown per region stays the same for 91% of regions
# (25: 87%) on the evaluation index, at ~30 ms of BM25 at 10^6 clauses (README "Performance").
SIMILAR_TERMS = 40
# ... and none that more than half of the clauses hold (MoreLikeThis's maxDocFreqPct): such a word says
# nothing about which clause is alike (its BM25 weight is under log 2, a rare word's 5-9), yet its postings
# are half the index, read whole for every similar_to. With the IDF log(1 + N / df) of ``term_weights``,
# df > N / 2 is an IDF under log 3.
COMMON_IDF = math.log(3)
DOC_TYPE_BOOST = 0.5 / (RRF_K + 1)  # half of a first place in one list: a preference, not an override
PINNED_SCORE = 10.0  # a resolved section reference outranks any fused score (at most ~2/(RRF_K + 1))


@dataclass(frozen=True, slots=True)
class Facts:
    """What the ranking needs to know of every candidate; the whole clause is fetched only for hits."""

    doc_id: str
    region: str
    names_departments: bool

    @classmethod
    def of(cls, clause: Clause) -> Facts:
        return cls(clause.doc_id, clause.region, bool(clause.departments.all))


@dataclass(frozen=True, slots=True)
class Ranked:
    """One retriever's candidates, best first, with the score of each."""

    ids: Sequence[str]
    scores: Mapping[str, float]


def list_weights(pq: ParsedQuery, base: Mapping[str, float]) -> dict[str, float]:
    """The fusion weights for one question. For an English question the lexical side sees only the
    glossary's translations of some of its words while the multilingual dense side sees all of it: the
    dense list gets the lexical list's full weight, the lexical list the share it understood."""
    if pq.lexical_trust is None:
        return dict(base)
    return {"dense": base["lexical"], "lexical": base["lexical"] * pq.lexical_trust}


def salient_tokens(tokens: Sequence[str], idf: Mapping[str, float], k: int = SIMILAR_TERMS) -> tuple[str, ...]:
    """The query tokens of a long text: its ``k`` distinct tokens with the highest count × IDF (ties by
    token), in their order and with their repeats; all of them when there are no more than ``k``. Tokens
    that more than half of the clauses hold (IDF under ``COMMON_IDF``) are left out, unless nothing else
    is left."""
    common = {t for t in set(tokens) if (w := idf.get(t)) is not None and w < COMMON_IDF}
    if common and len(common) < len(set(tokens)):
        tokens = [t for t in tokens if t not in common]
    counts = Counter(tokens)
    if len(counts) <= k:
        return tuple(tokens)
    keep = set(sorted(counts, key=lambda t: (-counts[t] * idf.get(t, 0.0), t))[:k])
    return tuple(t for t in tokens if t in keep)


def fuse_hits(
    pq: ParsedQuery,
    dense: Ranked,
    lexical: Ranked,
    *,
    mode: str,
    weights: Mapping[str, float],
    pinned: Sequence[str],
    k: int,
    fetch: Callable[[list[str]], Mapping[str, Clause]],
    documents: Mapping[str, Document],
    preferred: Collection[str] | None = None,
    facts: Callable[[list[str]], Mapping[str, Facts]] | None = None,
) -> list[Hit]:
    """The k best hits. ``fetch`` returns the clause of every id it is given (called once: with every
    candidate when there is no ``facts``, else with the hits' ids only); ``facts`` returns the Facts of
    every candidate (a backend with columns knows them without reading a clause); ``preferred`` is the set of
    document ids of the type the question names, or None when the type prefers nothing (no type asked,
    or every document or none is of it)."""
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}")
    w = list_weights(pq, weights)
    lists = {"dense": [dense.ids], "lexical": [lexical.ids], "hybrid": [dense.ids, lexical.ids]}[mode]
    names = {"dense": ["dense"], "lexical": ["lexical"], "hybrid": ["dense", "lexical"]}[mode]
    fused = rrf(lists, weights=[w[n] for n in names])
    candidates = list(dict.fromkeys([*fused, *pinned]))
    records: Mapping[str, Clause] | None = None
    if facts is None:
        records = fetch(candidates)
        known = {cid: Facts.of(c) for cid, c in records.items()}
    else:
        known = facts(candidates)
    reasons: dict[str, list[str]] = {}
    if pq.doc_types and preferred:
        for cid in fused:
            if known[cid].doc_id in preferred:
                fused[cid] += DOC_TYPE_BOOST
                reasons.setdefault(cid, []).append("document type")
    if pq.intent == "responsible":  # who is responsible: clauses that name their departments
        for cid in fused:
            if known[cid].names_departments:
                fused[cid] += DOC_TYPE_BOOST
                reasons.setdefault(cid, []).append("names departments")
    for j, cid in enumerate(pinned):  # a resolved section reference outranks everything, in document order
        fused[cid] = PINNED_SCORE - j * 1e-3
        reasons.setdefault(cid, []).insert(0, "section reference")
    d_pos = {cid: r for r, cid in enumerate(dense.ids, 1)}
    l_pos = {cid: r for r, cid in enumerate(lexical.ids, 1)}
    order = ordered(fused)
    if pq.intent == "compare" and not pinned:
        order = regions_first(order, [known[cid].region for cid in order])
    pinned_set = set(pinned)
    chosen: list[str] = []
    seen_base: set[str] = set()
    for cid in order:
        base = cid.split("#")[0]
        if base in seen_base and cid not in pinned_set:
            continue  # one part of a long clause is enough in a result list
        seen_base.add(base)
        chosen.append(cid)
        if len(chosen) >= k:
            break
    if records is None:
        records = fetch(chosen)
    hits: list[Hit] = []
    for cid in chosen:
        clause = records[cid]
        hits.append(
            Hit(
                clause=clause,
                document=documents[clause.doc_id],
                rank=len(hits) + 1,
                score=round(fused[cid], 6),
                dense_score=round(float(dense.scores[cid]), 4) if cid in d_pos else None,
                dense_rank=d_pos.get(cid),
                lexical_score=round(float(lexical.scores[cid]), 4) if cid in l_pos else None,
                lexical_rank=l_pos.get(cid),
                reasons=tuple(reasons.get(cid, ())),
            )
        )
    return hits


def by_region(
    hits: Sequence[Hit],
    region_levels: Mapping[str, str],
    per_region: int,
    exclude_region: str,
    covers: Callable[[Hit], bool],
    partial: Callable[[Hit], bool] | None = None,
) -> list[RegionCoverage]:
    """Every region's best covering hits (each document's best first), regions with the best evidence
    first and uncovered regions last; ties by name. ``covers`` judges one hit; ``partial`` says whether a
    covering hit covers only partly: a region all of whose shown hits do is ``partial`` and comes after
    the regions that cover the topic.

    Only the regions with hits are ranked; the others (most of a large index) come from a list of empty
    coverages made once per ``region_levels``, in name order."""
    mine: dict[str, list[Hit]] = {}
    for h in hits:
        mine.setdefault(h.clause.region, []).append(h)
    covered = []
    for region, region_hits in mine.items():
        if region == exclude_region or region not in region_levels:
            continue
        good: list[Hit] = []
        for h in documents_first(region_hits)[: per_region * 3]:
            if covers(h):  # judged until enough are found: the rest would not be shown
                good.append(h)
                if len(good) == per_region:
                    break
        if good:
            each = tuple(partial(h) for h in good) if partial is not None else ()
            covered.append(RegionCoverage(region, region_levels[region], tuple(good), bool(each) and all(each), each))
    covered.sort(key=lambda r: (r.partial, -r.hits[0].score, r.region))
    shown = {r.region for r in covered}
    shown.add(exclude_region)
    return covered + [r for r in _uncovered(region_levels) if r.region not in shown]


_UNCOVERED: dict[int, tuple[Mapping[str, str], tuple[RegionCoverage, ...]]] = {}


def _uncovered(region_levels: Mapping[str, str]) -> tuple[RegionCoverage, ...]:
    """Every region without hits, by name: made once for a mapping a searcher passes every time."""
    entry = _UNCOVERED.get(id(region_levels))
    if entry is None or entry[0] is not region_levels or len(entry[1]) != len(region_levels):
        if len(_UNCOVERED) >= 8:
            _UNCOVERED.clear()
        empty = tuple(RegionCoverage(region, level, ()) for region, level in sorted(region_levels.items()))
        entry = _UNCOVERED[id(region_levels)] = (region_levels, empty)
    return entry[1]


def documents_first(hits: list[Hit]) -> list[Hit]:
    """A region's hits with each document's best first: a region with a plan and an implementation
    opinion shows one clause of each before a second clause of either."""
    firsts, seen = [], set()
    for h in hits:
        if h.clause.doc_id not in seen:
            seen.add(h.clause.doc_id)
            firsts.append(h)
    chosen = {id(h) for h in firsts}
    return firsts + [h for h in hits if id(h) not in chosen]


def regions_first(order: list[str], regions: list[str]) -> list[str]:
    """For questions across regions (各地如何…): each region's best clause first, then the rest in order."""
    return first_of_each(order, regions)


def first_of_each(items: list, keys: list) -> list:
    """``items`` with the first of each key first, then the rest, each group in the given order (unique items)."""
    firsts, seen = [], set()
    for item, key in zip(items, keys, strict=True):
        if key not in seen:
            seen.add(key)
            firsts.append(item)
    chosen = set(firsts)
    return firsts + [item for item in items if item not in chosen]


# What a title or a heading is compared without: spaces, quotes, brackets, the · of a short citation and
# punctuation (a citation copied from a page, typed in half-width, or written with other quotes still names it).
_NOT_WORDS = re.compile(r"[\s“”\"'‘’《》〈〉「」『』()（）\[\]【】·•,，、:：.．;；!！?？—–\-_/]")
# A title this short (规划, 条例) names no one document.
_MIN_TITLE = 6


def bare(text: str) -> str:
    """``text`` in search form without spaces, quotes, brackets or punctuation."""
    return _NOT_WORDS.sub("", search_form(text).text)


def document_tiers(documents: Sequence[Document], regions: Collection[str], head: str = "") -> list[list[Document]]:
    """The sets of documents to look a section reference up in, narrowest first, each inside the next, the
    last all of ``documents`` (already only those whose whole title the query writes, where it writes one:
    ``titled``): of a region the query names itself (上海市's own plan before 崇明区's, whose province 上海市
    is); of the narrower region where it names a province and a region in it (上海普陀: 普陀区's); and of
    those the one or few more of whose title's own words ``head``, the query before its section number,
    writes (普陀区消防规划 三、(二): the fire-safety plan, not the greening plan; heading words after the number
    are the section's, not the document's). A step that keeps none or all adds no set."""
    tiers = [list(documents)]

    def narrow(kept: list[Document]) -> None:
        if kept and len(kept) < len(tiers[0]):
            tiers.insert(0, kept)

    narrow([d for d in tiers[0] if d.region in regions])
    narrow([d for d in tiers[0] if d.province != d.region and d.province in regions])
    named = _pairs(bare(head))
    shared = {d.doc_id: _title_pairs(d) & named for d in tiers[0]}
    most = max((len(v) for v in shared.values()), default=0)
    narrow([d for d in tiers[0] if most and len(shared[d.doc_id]) == most])
    return tiers


def titled(query: str, documents: Sequence[Document]) -> list[Document]:
    """The documents whose whole title the query writes (in any quotes or none, half-width or traditional).
    A section reference of such a query is theirs alone: a section they lack is not another document's
    (《自治州知识产权“十四五”规划》八、 is not 山西省's 八、), as a region or type the query names restricts it."""
    text = bare(query)
    return [d for d in documents if len(title := _bare_title(d.title)) >= _MIN_TITLE and title in text]


def title_order(query: str, documents: Sequence[Document]) -> list[Document]:
    """``documents`` by how many of its title's own character pairs the query writes, most first, ties in
    the order given."""
    text = _pairs(bare(query))
    score = {d.doc_id: len(_title_pairs(d) & text) for d in documents}
    return sorted(documents, key=lambda d: -score[d.doc_id])


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _title_pairs(d: Document) -> frozenset[str]:
    return _own_title_pairs(d.title, d.region, d.region_level, d.province)


@functools.lru_cache(maxsize=1 << 16)
def _own_title_pairs(title: str, region: str, level: str, province: str) -> frozenset[str]:
    """The character pairs of a title less those of its region's and province's names (青海省 in 青海省“十四五”
    知识产权保护和运用规划 says which region, not which of its documents). Remembered: a reference asks it of
    every document it may name."""
    title = _bare_title(title)
    for name, name_level in ((region, level), (province, "省")):
        for n in sorted({name, *short_names(name, name_level)}, key=len, reverse=True):
            if len(n) >= 2:
                title = title.replace(n, " ")
    return frozenset(p for p in _pairs(title) if " " not in p)


@functools.lru_cache(maxsize=1 << 16)
def _bare_title(title: str) -> str:
    return bare(title)


# A resolved section reference with more clauses than this is shown in document order (no clause is read
# to find those whose heading words the query writes).
LABELLED_ROWS = 256


def _paragraph_first(pq: ParsedQuery, items: list, clause_of: Callable[[object], Clause]) -> list:
    """For a reference to an article's paragraph (第二十二条第二款), the clause holding it first among the
    article's clauses (a 第二款 set apart after the article's items came after them)."""
    n = paragraph_asked(pq)
    if n < 2 or not items:
        return items
    first = clause_of(items[0])
    # the first article's clauses stand among the first rows (a broad reference reads no more of them)
    article = [(item, c) for item, c in ((it, clause_of(it)) for it in items[:LABELLED_ROWS])
               if c.section_path == first.section_path and article_id(c) == article_id(first)]
    held = paragraph_of([c for _, c in article], n)
    if held is None:
        return items
    item = next(it for it, c in article if c is held[0])
    return [item, *(it for it in items if it is not item)]


def order_resolved(
    pq: ParsedQuery,
    items: list,
    doc_ids: list[str],
    documents: Mapping[str, Document],
    clause_of: Callable[[object], Clause],
) -> list:
    """The clauses a section reference resolved to, in the order they are shown (``items``: rows or
    clauses, in document order; ``doc_ids``: their documents'; ``clause_of``: an item's clause). With
    several documents (青海省 二 of a plan and of an opinion) each one's section comes first, the document
    more of whose title the query writes first; then, among at most LABELLED_ROWS, the clauses whose own
    heading or lead words the query writes (山西省 二（三）「知识产权创造取得新突破」, a copied section path),
    deepest first, and before them an indicator row the query names after 指标 (its citation). Stable
    otherwise."""
    query = pq.search_text
    if len(set(doc_ids)) > 1:
        ranked = title_order(query, [documents[d] for d in dict.fromkeys(doc_ids)])
        place = {d.doc_id: i for i, d in enumerate(ranked)}
        order = sorted(range(len(items)), key=lambda i: place[doc_ids[i]])
        items = first_of_each([items[i] for i in order], [doc_ids[i] for i in order])
    items = _paragraph_first(pq, list(items), clause_of)
    if len(items) > LABELLED_ROWS:
        return list(items)
    text = bare(query)

    indicator = ref_indicator(pq)

    def named_depth(clause: Clause) -> int:
        if clause.kind == "indicator":  # named by its row number or name after 指标, before its section
            named = indicator and (indicator == clause.number or bare(indicator) == bare(clause.label))
            return len(clause.section_path) + 2 if named else -1
        if not clause.section_path:
            return 0
        label = clause.section_path[-1]
        number = match_number(label)
        words = bare(label[number.end :] if number else label)
        return len(clause.section_path) if len(words) >= 2 and words in text else 0

    depth = [named_depth(clause_of(item)) for item in items]
    return [items[i] for i in sorted(range(len(items)), key=lambda i: -depth[i])]
