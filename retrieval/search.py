"""The Searcher: hybrid dense (FAISS vectors) + lexical (BM25) retrieval over a loaded index.

    searcher = Searcher.open("index")             # model and prompts come from the index manifest
    hits = searcher.search("中小企业怎么用专利贷款", k=10)
    searcher.compare("地理标志保护")                # best clauses per region, and who does not cover it
    searcher.similar_to(hits[0].clause_id)         # the closest clauses in each other region
"""

from __future__ import annotations

import gc
import itertools
import math
import threading
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from indexer.errors import IndexMismatch
from indexer.rowtable import positions
from indexer.store import PlanIndex, load_index, vector_rows
from indexer.textnorm import search_form
from indexer.topk import best

from .columns import Columns, search_text
from .highlight import names_topic, query_terms
from .query import (
    PREFACE,
    KnownRegion,
    ParsedQuery,
    SectionRef,
    parse_query,
    ref_head,
    ref_indicator,
    scheme_fits,
    section_ref_tries,
    type_matches,
)
from .ranking import (
    MODES,
    Facts,
    Ranked,
    by_region,
    document_tiers,
    fuse_hits,
    order_resolved,
    salient_tokens,
    titled,
)
from .records import Filters, Hit, RegionCoverage

CANDIDATES = 100  # per retriever, before fusion
# Weights of the two ranked lists in the fusion. The bundled e5-small is the weaker retriever on these
# plans, so its list counts 0.4 of the lexical one (grid over both evaluation sets, re-fitted on development
# after the dense side began reading a question's content words, and again with fusion.RRF_K:
# retrieval/eval/README.md).
FUSION_WEIGHTS = {"dense": 0.4, "lexical": 1.0}


@dataclass(frozen=True, slots=True)
class Signals:
    """What the top of a ranking tells about confidence (used to abstain and to judge coverage)."""

    dense: float  # cosine of the best hit
    coverage: float  # weighted share of the query's terms found in the best hit


def check_query_model(embedder, manifest, built: str, remedy: str) -> None:
    """IndexMismatch unless the query model is the one (and its prompts the ones) the vectors came from."""
    if embedder.name != manifest.model or int(embedder.dim) != manifest.dim:
        raise IndexMismatch(
            f"{built} with {manifest.model} (dim {manifest.dim}) but the query model is "
            f"{embedder.name} (dim {embedder.dim}); {remedy} or use its model"
        )
    if (embedder.query_prompt, embedder.passage_prompt) != (manifest.query_prompt, manifest.passage_prompt):
        raise IndexMismatch(f"the query model's prompts differ from the ones {built} with")


class Searcher:
    def __init__(self, index: PlanIndex, embedder):
        check_query_model(embedder, index.manifest, "the index was built", "rebuild the index")
        self.index = index
        self.embedder = embedder
        # One copy of the vectors: a view of the flat FAISS index's storage, or the IVF index's rows.
        self.vectors = vector_rows(index.faiss, index.vector_ids)
        sentences = index.sentences
        self._sentence_vectors = None
        self._sentence_index = None
        self._sentence_rows = None
        self._sentence_live = None  # with tombstones over an IVF index: the FAISS ids of the live sentences
        self._clause_live = _LiveIds.of(index.faiss, index.vector_ids)
        if sentences is not None and len(sentences.rows):
            self._sentence_index = sentences.index
            self._sentence_live = _LiveIds.of(sentences.index, sentences.index_ids)
            self._sentence_vectors = (
                vector_rows(sentences.index, sentences.index_ids) if sentences.index is not None
                else np.asarray(sentences.vectors)
            )
            self._sentence_rows = sentences.rows
        self._maxp = _SentenceGroups(self._sentence_rows, len(index.clauses))
        self.clauses = index.clauses
        self.docs = {d.document.doc_id: d.document for d in index.documents}
        self.regions = tuple(  # once each (a region has many documents in a large index)
            dict.fromkeys(
                KnownRegion(d.document.region, d.document.region_level, d.document.province)
                for d in index.documents
                if d.document.region
            )
        )
        self.weights = dict(FUSION_WEIGHTS)
        self._forms: dict[int, str] = {}  # search forms of the clauses a query looked at (bounded)
        self._rows: dict[str, int] = {}  # rows of the ids recent rankings named (bounded)
        self._query_cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        self._doc_list = [d.document for d in index.documents]
        # Columns over the rows, computed once: no query walks the clauses in Python.
        self._cols = Columns(self.clauses, self._doc_list, index.ids)
        self._ids = self._cols.ids
        self._row_doc = self._cols.row_doc
        self._row_has_departments = self._cols.row_has_departments
        self._region_levels: dict[str, str] = {}
        for d in self._doc_list:
            if d.region:
                self._region_levels.setdefault(d.region, d.region_level)
        self._idf = self._term_weights()
        self._last_terms: tuple[str, set[str], float] | None = None

    @classmethod
    def open(cls, index_dir: str | Path = "index", embedder=None) -> Searcher:
        """Load the index and the embedder it was built with (from its manifest)."""
        index = load_index(index_dir)
        if embedder is None:
            from indexer.embedding import EmbedderSettings, get_embedder

            m = index.manifest
            embedder = get_embedder(
                EmbedderSettings.from_env(model=m.model, query_prompt=m.query_prompt, passage_prompt=m.passage_prompt)
            )
        searcher = cls(index, embedder)
        # The index is hundreds of thousands of long-lived objects: left to the cyclic collector, every
        # full collection walks them all (~100 ms at 100k clauses, a query's whole budget) for nothing.
        gc.freeze()
        return searcher

    # --- the public verbs ----------------------------------------------------------------------------

    def parse(self, query: str) -> ParsedQuery:
        return parse_query(query, self.regions)

    def search(
        self, query: str | ParsedQuery, k: int = 10, filters: Filters | None = None, *, mode: str = "hybrid"
    ) -> list[Hit]:
        """The k best clauses for a question: hybrid ranking, section references first.

        ``mode`` 'dense' or 'lexical' ranks by one retriever alone (for evaluation); same return type.
        ``k`` below 1 is a ValueError (it used to return one hit)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        pq = query if isinstance(query, ParsedQuery) else self.parse(query)
        filters = filters or Filters()
        if pq.regions and not filters.regions:
            filters = replace(filters, regions=pq.regions)
        mask = self._mask(filters)
        if not mask.any():
            return []
        # Rows past the k-th pinned one can never be shown (pinned rows rank first, in this order).
        # The lexical ranking alone needs no query vector: it answers while the model is still loading.
        qv = None if mode == "lexical" else self._embed_query(pq.embedding_text)
        return self._rank(pq, qv, mask, k, self._resolve(pq, mask)[:k], mode)

    def compare(self, query: str, per_region: int = 2, filters: Filters | None = None) -> list[RegionCoverage]:
        """The best clauses of every region on a topic; regions with no confident clause come back empty."""
        pq = self.parse(query)
        pq = replace(pq, regions=(), section_ref=None)
        mask = self._mask(filters or Filters())
        hits = self._rank(pq, self._embed_query(pq.embedding_text), mask, len(self.clauses), [])
        return self._by_region(pq, hits, per_region, exclude_region="", similar=False)

    def similar_to(self, clause_id: str, per_region: int = 1) -> list[RegionCoverage]:
        """The closest clauses to a clause in each other region (dense and lexical, fused)."""
        row = self.index.row(clause_id)
        if row is None:
            raise KeyError(f"no clause {clause_id!r} in the index")
        clause = self.clauses[row]
        form = search_form(clause.text).text
        tokens = salient_tokens(self.index.lexical.tokens(form), self._idf)
        pq = ParsedQuery(raw=clause.text, text=clause.text, search_text=form, content_text=form, lexical_tokens=tokens)
        region = clause.region
        mask = (self._cols.row_region != self._cols.names[region]) & ~self._cols.row_indicator
        hits = self._rank(pq, self.vectors[row], mask, len(self.clauses), [])
        return self._by_region(pq, hits, per_region, exclude_region=region, similar=True)

    def _embed_query(self, text: str) -> np.ndarray:
        """Query vectors are cached (bounded): a question asked again, or searched and then compared, embeds once."""
        vector = self._query_cache.get(text)
        if vector is None:
            vector = self.embedder.embed_query(text)
            with self._cache_lock:  # one searcher serves every browser session of the app
                if len(self._query_cache) >= 512:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = vector
        return vector

    def signals(self, query: ParsedQuery | str, hit: Hit | None) -> Signals:
        """Confidence signals of a hit for a query (dense cosine, weighted term coverage)."""
        pq = query if isinstance(query, ParsedQuery) else self.parse(query)
        if hit is None:
            return Signals(0.0, 0.0)
        terms, total = self._weighted_terms(pq.content_text or pq.search_text)
        form = self._form(self._row(hit.clause_id), hit.clause)
        found = sum(self._idf.get(t, self._max_idf) for t in terms if t in form)
        return Signals(hit.dense_score or 0.0, found / total if total else 0.0)

    def best_signals(self, query: ParsedQuery | str, hits: list[Hit]) -> Signals:
        """The strongest of each signal over some hits (the answer's confidence looks at the top three)."""
        sigs = [self.signals(query, h) for h in hits] or [Signals(0.0, 0.0)]
        return Signals(max(s.dense for s in sigs), max(s.coverage for s in sigs))

    def term_weights(self) -> dict[str, float]:
        return self._idf

    def department_names(self) -> list[str]:
        """Every department some clause names, sorted (from the columns: no clause is read)."""
        return list(self._cols.department_names)

    def documents_naming(self, department: str) -> set[str]:
        """The documents with a clause naming a department whose name contains ``department`` (doc ids)."""
        rows = self._cols.department_rows(department)
        return {self._doc_list[int(i)].doc_id for i in np.unique(self._row_doc[rows])}

    # --- ranking ---------------------------------------------------------------------------------------

    def _rank(
        self, pq: ParsedQuery, qv: np.ndarray | None, mask: np.ndarray, k: int, pinned: list[int], mode: str = "hybrid"
    ) -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}")
        if qv is None:  # lexical only: no dense candidates
            dense, dense_mask = np.zeros(len(self.clauses), dtype=np.float32), np.zeros(len(self.clauses), dtype=bool)
        else:
            dense, dense_mask = self._dense_scores(qv, mask)
        lexical_index = self.index.lexical
        # the best lexical rows without scoring every clause (a clause's 40 tokens read ~10^7 postings at 10^6)
        if pq.lexical_tokens is None:
            lexical_rows, lexical_scores = lexical_index.top(
                lexical_index.tokens(pq.content_text or pq.search_text), mask, CANDIDATES
            )
        else:  # a clause as the query (similar_to): each telling token once, weighted by its count
            counts = Counter(pq.lexical_tokens)
            lexical_rows, lexical_scores = lexical_index.top(list(counts), mask, CANDIDATES, list(counts.values()))
        dense_rows = _top(dense, dense_mask, CANDIDATES, positive_only=False)
        preferred = None
        if pq.doc_types:
            docs = self._cols.doc_type_preferred(lambda doc_type: type_matches(pq.doc_types, doc_type))
            if docs.any() and not docs.all():
                preferred = {self._doc_list[i].doc_id for i in np.flatnonzero(docs)}
        return fuse_hits(
            pq,
            self._ranked(dense_rows, dense[dense_rows].tolist()),
            self._ranked(lexical_rows.tolist(), lexical_scores.tolist()),
            mode=mode,
            weights=self.weights,
            pinned=self._ids_of(pinned),
            k=k,
            fetch=lambda ids: {cid: self.clauses[self._row(cid)] for cid in ids},
            documents=self.docs,
            preferred=preferred,
            facts=self._facts,
        )

    def _facts(self, ids: list[str]) -> dict[str, Facts]:
        """What the ranking needs of each candidate, from the columns (no clause is read)."""
        out = {}
        for cid in ids:
            row = self._row(cid)
            doc = self._doc_list[self._row_doc[row]]
            out[cid] = Facts(doc.doc_id, doc.region, bool(self._row_has_departments[row]))
        return out

    def _ranked(self, rows: list[int], scores: list[float]) -> Ranked:
        ids = self._ids_of(rows)
        return Ranked(ids, dict(zip(ids, scores, strict=True)))

    def _dense_scores(self, qv: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense scores and the rows that have one: every row, exactly, for a flat index; for an IVF index
        the approximate best rows among those allowed (the rest score -inf and are left out)."""
        if isinstance(self.vectors, np.ndarray):
            return self._dense(qv), mask
        return self._ann_dense(qv, mask)

    def _dense(self, qv: np.ndarray) -> np.ndarray:
        """Cosine of each clause to the query: the better of its whole text and its best sentence (MaxP,
        Dai & Callan 2019: a clause answers through one or two sentences, which the whole-text vector
        dilutes). Exact, over a flat index's own storage."""
        if not len(self.vectors):
            return np.zeros(0, dtype=np.float32)
        dense = self.vectors @ qv
        if self._sentence_vectors is not None:
            self._maxp.apply(dense, None, self._sentence_vectors @ qv)
        return dense

    def _ann_dense(self, qv: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dense scores through the IVF index. A filter that leaves few rows is scored exactly over those
        rows; otherwise the filter is a FAISS selector and the clause and sentence indexes are each asked
        for their best CANDIDATES, whose clauses are then scored exactly (whole text and MaxP)."""
        n = len(mask)
        allowed = int(np.count_nonzero(mask))
        dense = np.full(n, -np.inf, dtype=np.float32)
        if allowed == 0:
            return dense, mask
        if allowed <= ANN_EXACT_BELOW:
            rows = np.flatnonzero(mask)
            sentence_ids = self._maxp.sentences_of(rows)
        elif 0 < n - allowed <= min(FEW_EXCLUDED, FEW_SHARE * n):  # all but a few rows (similar_to: one region out)
            excluded = np.flatnonzero(~mask)
            rows = _ann_excluding_live(self.index.faiss, self._clause_live, qv, CANDIDATES, mask, len(excluded))
            sentence_ids = np.zeros(0, dtype=np.int64)
            if self._sentence_index is not None:
                left_out = len(self._maxp.sentences_of(excluded))
                sentence_ids = _ann_excluding_live(self._sentence_index, self._sentence_live, qv, CANDIDATES, mask,
                                                   left_out, rows_of=self._sentence_rows)
                rows = np.union1d(rows, self._sentence_rows[sentence_ids])
        else:
            everything = allowed == n
            rows = _ann_live(self.index.faiss, self._clause_live, qv, CANDIDATES, None if everything else mask)
            sentence_ids = np.zeros(0, dtype=np.int64)
            if self._sentence_index is not None:
                sentence_mask = None if everything else mask[self._sentence_rows]
                sentence_ids = _ann_live(self._sentence_index, self._sentence_live, qv, CANDIDATES, sentence_mask)
                rows = np.union1d(rows, self._sentence_rows[sentence_ids])
        dense[rows] = _scores(self.vectors, rows, qv)
        if len(sentence_ids):
            self._maxp.apply(dense, sentence_ids, _scores(self._sentence_vectors, sentence_ids, qv))
        if allowed <= ANN_EXACT_BELOW:
            return dense, mask  # every allowed row has its score
        return dense, mask & (dense > -np.inf)

    def _by_region(
        self, pq: ParsedQuery, hits: list[Hit], per_region: int, exclude_region: str, similar: bool
    ) -> list[RegionCoverage]:
        from .answer import region_judges

        topic = pq.content_text or pq.search_text

        def coverage(h: Hit) -> float:  # shared words count only beside one of the topic's long words
            form = self._form(self._row(h.clause_id), h.clause)
            return self.signals(pq, h).coverage if names_topic(topic, form) else 0.0

        judges = region_judges(coverage, similar, hits)
        return by_region(hits, self._region_levels, per_region, exclude_region, *judges)

    # --- filters, section references -------------------------------------------------------------------

    def _mask(self, filters: Filters) -> np.ndarray:
        """Rows allowed by the filters; document-level filters are resolved per document, then spread."""
        cols = self._cols
        if not filters:
            return np.ones(cols.n, dtype=bool)
        mask = None  # every row, until a filter says otherwise (a department alone starts from its rows)
        if filters.regions or filters.levels or filters.doc_ids:
            mask = cols.doc_allowed(filters.regions, filters.levels, filters.doc_ids)[cols.row_doc]
        if filters.kinds:
            kinds = np.isin(cols.row_kind, [cols.kinds[k] for k in filters.kinds if k in cols.kinds])
            mask = kinds if mask is None else mask & kinds
        for rows in (
            cols.department_rows(filters.department) if filters.department else None,
            cols.prefix_rows(filters.section_prefix) if filters.section_prefix else None,
        ):
            if rows is not None:
                keep = np.zeros(cols.n, dtype=bool)
                keep[rows] = True
                mask = keep if mask is None else mask & keep
        return np.ones(cols.n, dtype=bool) if mask is None else mask

    def _resolve(self, pq: ParsedQuery, mask: np.ndarray) -> list[int]:
        """Rows of the section a query names (全部 its parts and sub-clauses), best match first: the
        reference is looked up in a dictionary of number-path windows (``Columns``); the result is what
        ``_match_ref`` would pick clause by clause."""
        ref = pq.section_ref
        if ref is None:
            return []
        cols = self._cols
        candidates = mask if ref_indicator(pq) else mask & ~cols.row_indicator  # an indicator's citation
        if ref.numbers == PREFACE:  # 泰安市 · 前言: the preamble, which no number names
            candidates = candidates & (cols.row_kind == cols.kinds.get("preamble", -1))
        if pq.doc_types:
            typed = candidates & cols.doc_type_preferred(lambda t: type_matches(pq.doc_types, t))[cols.row_doc]
            if typed.any():
                candidates = typed
        docs = [self._doc_list[i] for i in np.unique(cols.row_doc[candidates]).tolist()]
        named = titled(pq.search_text, docs)
        if named:  # the documents whose title the query writes, and no other
            candidates, docs = candidates & self._rows_of(named), named
        # those of the region it names itself are asked first (浙江专利条例第十条: not 宁波's, whose 第十条
        # matches from its root where 浙江's sits under 第二章)
        tiers = [candidates & self._rows_of(tier) for tier in document_tiers(docs, pq.regions, ref_head(pq))[:-1]]
        tiers.append(candidates)
        rows = np.zeros(0, dtype=np.int32)
        for tier, numbers in itertools.product(tiers, section_ref_tries(ref)):
            rows = cols.section_rows(numbers, tier)
            if len(rows):
                break
        rows = cols.in_document_order(rows).tolist()
        doc_ids = [self._doc_list[d].doc_id for d in self._row_doc[rows].tolist()]
        return order_resolved(pq, rows, doc_ids, self.docs, lambda row: self.clauses[row])

    def _rows_of(self, documents) -> np.ndarray:
        """A mask of the rows of some documents."""
        chosen = np.zeros(len(self._doc_list), dtype=bool)
        chosen[[self._cols.doc_pos[d.doc_id] for d in documents]] = True
        return chosen[self._cols.row_doc]

    # --- term statistics -------------------------------------------------------------------------------

    def _ids_of(self, rows) -> list[str]:
        """The ids of some rows, remembered with their rows (a ranking looks them up again by id while it
        turns them into hits: a dictionary of the recent ones instead of a binary search over every id)."""
        ids = [self._ids[row] for row in rows]
        with self._cache_lock:
            if len(self._rows) > 8192:
                self._rows.clear()
            self._rows.update(zip(ids, rows, strict=True))
        return ids

    def _row(self, clause_id: str) -> int | None:
        row = self._rows.get(clause_id)
        return self.index.row(clause_id) if row is None else row

    def _form(self, row: int, clause=None) -> str:
        """The search form of a row's heading path and text (``clause``: the row's clause, when at hand)."""
        form = self._forms.get(row)
        if form is None:
            c = self.clauses[row] if clause is None else clause
            form = search_text(" ".join(c.section_path) + "\n" + c.text)
            with self._cache_lock:
                if len(self._forms) >= 4096:  # a few hundred are looked at per question; never one per row
                    self._forms.pop(next(iter(self._forms)), None)
                self._forms[row] = form
        return form

    def _weighted_terms(self, text: str) -> tuple[set[str], float]:
        """The query's terms and their summed weight, for the last text asked (a comparison asks it of
        every region's hits)."""
        last = self._last_terms
        if last is None or last[0] != text:
            terms = query_terms(text)
            last = self._last_terms = (text, terms, sum(self._idf.get(t, self._max_idf) for t in terms))
        return last[1], last[2]

    def _term_weights(self) -> dict[str, float]:
        """IDF of every lexical token, from the document frequencies the BM25 index already holds."""
        n = max(len(self.clauses), 1)
        self._max_idf = math.log(1 + n)
        return {t: math.log(1 + n / c) for t, c in self.index.lexical.document_frequencies().items() if c}


# A filter leaving at most this many rows is scored exactly, not by IVF: in the lists (indexer/ivfcodes.py),
# ~12 ms of CPU at 10^6 for a department's ~8,500 clauses and their ~15,000 sentence vectors.
ANN_EXACT_BELOW = 20_000


class _SentenceGroups:
    """Sentence ids grouped by the clause row they belong to (rows are written in clause order), so the
    MaxP maximum is a ``reduceat`` over runs instead of ``np.maximum.at`` (same result, ~20x faster)."""

    def __init__(self, rows: np.ndarray | None, n_clauses: int):
        rows = np.zeros(0, dtype=np.int32) if rows is None else np.asarray(rows)
        self.rows = rows
        self.sorted = bool(len(rows) == 0 or (np.diff(rows) >= 0).all())
        self.ptr = np.searchsorted(rows, np.arange(n_clauses + 1)) if self.sorted else None
        self._all = self._runs(rows) if self.sorted and len(rows) else None

    @staticmethod
    def _runs(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        return starts, rows[starts]

    def apply(self, dense: np.ndarray, ids: np.ndarray | None, scores: np.ndarray) -> None:
        """dense[row] = max(dense[row], best score of the row's sentences among ``ids`` (ascending; None:
        all sentences, ``scores`` then has one per sentence)."""
        rows = self.rows if ids is None else self.rows[ids]
        if not len(rows):
            return
        if ids is None and self._all is not None:
            starts, owners = self._all
        elif (np.diff(rows) >= 0).all():
            starts, owners = self._runs(rows)
        else:
            np.maximum.at(dense, rows, scores)
            return
        dense[owners] = np.maximum(dense[owners], np.maximum.reduceat(scores, starts))

    def sentences_of(self, rows: np.ndarray) -> np.ndarray:
        """The sentence ids of some clause rows (ascending rows give ascending ids)."""
        if not len(self.rows):
            return np.zeros(0, dtype=np.int64)
        if not self.sorted:
            return np.flatnonzero(np.isin(self.rows, rows))
        lo, hi = self.ptr[rows], self.ptr[rows + 1]
        counts = hi - lo
        total = int(counts.sum())
        return np.repeat(lo, counts) + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


def _scores(vectors, ids: np.ndarray, qv: np.ndarray) -> np.ndarray:
    """Cosines of some rows to the query: a flat index's view multiplied, an IVF index's rows scored in its
    lists (``IndexRows.scores``)."""
    return vectors[ids] @ qv if isinstance(vectors, np.ndarray) else vectors.scores(ids, qv)


def _ann_search(index, qv: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the k best vectors of a FAISS index, among ``allowed`` rows (a selector over a
    bitmap). A filter keeping a fraction f of the rows probes 1/f times the lists, so about as many
    allowed vectors are compared as without it."""
    import faiss

    query = np.ascontiguousarray(qv, dtype=np.float32).reshape(1, -1)
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ivf = isinstance(index, faiss.IndexIVF)
    if allowed is None:
        scores, ids = index.search(query, k)
    else:
        bits = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))
        if ivf:
            share = max(int(np.count_nonzero(allowed)), 1) / len(allowed)
            params = faiss.SearchParametersIVF(sel=selector, nprobe=_probes(index, share))
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, ids = index.search(query, k, params=params)
    keep = ids[0] >= 0
    order = np.argsort(ids[0][keep], kind="stable")
    return ids[0][keep][order], scores[0][keep][order]


@dataclass(frozen=True, slots=True)
class _LiveIds:
    """The FAISS ids of the live rows of an index with tombstones (``PlanIndex.vector_ids``: any order, a
    changed plan's rows in its old place) and the row of each id (-1: a dead one)."""

    ids: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, index, ids: np.ndarray | None) -> _LiveIds | None:
        if ids is None or index is None:
            return None
        return cls(ids, positions(ids, index.ntotal))

    def physical(self, mask: np.ndarray | None) -> np.ndarray:
        """A mask over the live rows (None: all) as one over the index's ids."""
        out = np.zeros(len(self.rows), dtype=bool)
        out[self.ids] = True if mask is None else mask
        return out


def _ann_live(index, live: _LiveIds | None, qv: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """The rows ``_ann_search`` finds among ``allowed`` (None: all) live rows, ascending. ``live``: the ids
    of an index with tombstones (their dead ids never come back; a few of them are asked past, as
    ``_ann_search_excluding`` does, rather than excluded by a selector), None: id = row."""
    if live is None:
        return _ann_search(index, qv, k, allowed)[0]
    dead = index.ntotal - len(live.ids)
    if allowed is None and dead <= FEW_EXCLUDED:
        found = _ann_search_excluding(index, qv, k, live.physical(None), dead)
    else:
        found = _ann_search(index, qv, k, live.physical(allowed))[0]
    return np.sort(live.rows[found])


def _ann_excluding_live(index, live: _LiveIds | None, qv: np.ndarray, k: int, mask: np.ndarray,
                        left_out: int, rows_of: np.ndarray | None = None) -> np.ndarray:
    """``_ann_search_excluding`` over the live rows (``live`` as in ``_ann_live``): the dead ids left out too.
    ``rows_of``: each vector's row of ``mask`` (sentence vectors), None for one vector a row."""
    if live is None:
        return _ann_search_excluding(index, qv, k, mask, left_out, rows_of=rows_of)
    own = mask if rows_of is None else mask[rows_of]  # a mask over the live vectors
    found = _ann_search_excluding(index, qv, k, live.physical(own), left_out + index.ntotal - len(live.ids))
    return np.sort(live.rows[found])


def _ann_search_excluding(index, qv: np.ndarray, k: int, mask: np.ndarray, left_out: int, rows_of=None) -> np.ndarray:
    """The ids ``_ann_search`` gives among the rows of ``mask`` when only ``left_out`` vectors are excluded:
    asked for k + left_out without a selector (the same lists probed), the k best allowed are among them,
    whichever are left out. FAISS's selector path scans ~2x slower, which a filter excluding one region
    (similar_to) paid in full. ``rows_of`` maps the index's ids to the mask's rows (sentence vectors)."""
    import faiss

    query = np.ascontiguousarray(qv, dtype=np.float32).reshape(1, -1)
    want = min(k + left_out, index.ntotal)
    if want <= 0:
        return np.zeros(0, dtype=np.int64)
    if isinstance(index, faiss.IndexIVF):  # the lists the selector's search would probe
        params = faiss.SearchParametersIVF(nprobe=_probes(index, (index.ntotal - left_out) / index.ntotal))
        _, ids = index.search(query, want, params=params)
    else:
        _, ids = index.search(query, want)
    ids = ids[0][ids[0] >= 0]
    ids = ids[mask[ids if rows_of is None else rows_of[ids]]][:k]  # best first: the k best allowed
    return np.sort(ids)


FEW_EXCLUDED = 5_000  # a filter leaving out at most this many rows (and this share of them) is applied
FEW_SHARE = 0.1  # after an unfiltered search


def _probes(index, share: float) -> int:
    """Lists to probe for a filter keeping ``share`` of the vectors: 1/share times the index's own, so about
    as many allowed vectors are compared as without a filter."""
    return min(index.nlist, int(np.ceil(max(index.nprobe, 1) / share)))


def _match_ref(numbers: tuple[tuple[str, int], ...], ref: SectionRef) -> int:
    """How well a clause's heading numbers match a reference: the length matched, 0 for no match.

    The reference must match a contiguous run of the clause's numbers ending anywhere; a full match from
    the root scores highest (青海 四、(一)2. is 4.1.2, not some other 1.2)."""
    wanted = ref.numbers
    for start in range(len(numbers) - len(wanted) + 1):
        window = numbers[start : start + len(wanted)]
        if all(_same(w, n) for w, n in zip(wanted, window, strict=True)):
            return len(wanted) * 2 + (1 if start == 0 else 0)
    return 0


def _same(wanted: tuple[str, int], have: tuple[str, int]) -> bool:
    scheme, value = wanted
    if value != have[1]:
        return False
    return scheme_fits(scheme, have[0])


def _top(scores: np.ndarray, mask: np.ndarray, n: int, positive_only: bool) -> list[int]:
    """Rows of the n best masked scores, best first, ties by row (deterministic: among rows tied at the
    n-th score the lowest are kept, as ``indexer.topk.best`` ranks the lexical side)."""
    valid = np.flatnonzero(mask & (scores > 0)) if positive_only else np.flatnonzero(mask)
    return best(valid, scores[valid], n)[0].tolist()
