"""The Milvus backend: the Searcher's verbs (search, compare, similar_to, section references, filters)
answered from the collections ``python -m indexer export-milvus`` fills.

    searcher = MilvusSearcher.open(MilvusSettings.from_env(uri="http://milvus:19530"))
    hits = searcher.search("中小企业怎么用专利贷款", k=10)

The ranking is the files backend's: the same two candidate lists (dense: the best of a clause's own cosine
and its sentences', MaxP; lexical: BM25 over the index's own jieba+bigram tokens), each cut to
``CANDIDATES`` within the filters, fused by rank with the same weights (``retrieval.fusion.rrf``), the same
boosts, section references pinned first, regions first for comparison questions. Milvus's BM25 scores
are negative in Lite and segment-local, so only their order is used, never their value. The query is
embedded here, with the model the collection's manifest records.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from indexer.bodies import department_forms
from indexer.errors import IndexMismatch
from indexer.metadata import cite_names
from indexer.milvus_export import (
    MilvusSettings,
    MilvusUnavailable,
    check_manifest,
    connect,
    hex_tokens,
    join_blob,
    one_line,
    read_manifest_property,
)
from indexer.records import Clause, Document, Heading, Indicator
from indexer.regions import prefecture_of
from indexer.store import DocumentEntry, Manifest
from indexer.textnorm import search_form, to_simplified

from .highlight import names_topic, query_terms
from .query import (
    PREFACE,
    KnownRegion,
    ParsedQuery,
    SectionRef,
    parse_query,
    ref_head,
    ref_indicator,
    section_ref_tries,
    type_matches,
)
from .ranking import MODES, Ranked, by_region, document_tiers, fuse_hits, order_resolved, salient_tokens, titled
from .records import Filters, Hit, RegionCoverage
from .search import CANDIDATES, FUSION_WEIGHTS, Signals, _match_ref, check_query_model

QUERY_LIMIT = 16384  # Milvus's cap on the rows one query returns
SEARCH_PARAMS = {
    "HNSW": {"ef": 256},
    "HNSW_SQ": {"ef": 256},
    "IVF_FLAT": {"nprobe": 64},
    "IVF_SQ8": {"nprobe": 64},
    "IVF_PQ": {"nprobe": 64},
    "DISKANN": {"search_list": 256},
    "SCANN": {"nprobe": 64},
}


ENTRIES_KEPT = 64  # documents' texts a Milvus index keeps after reading them one by one
MAX_LIKES = 64  # spellings of one department a filter expression names at most


@dataclass(frozen=True, slots=True)
class CollectionManifest:
    """What the collection was filled from (the index manifest's fields the query side needs)."""

    model: str
    dim: int
    query_prompt: str
    passage_prompt: str
    tokenizer: str
    fingerprint: str
    index_type: str
    counts: dict

    @classmethod
    def from_property(cls, data: dict) -> CollectionManifest:
        try:
            return cls(
                data["model"],
                int(data["dim"]),
                data["query_prompt"],
                data["passage_prompt"],
                data["tokenizer"],
                data["fingerprint"],
                data.get("index_type", ""),
                dict(data.get("counts", {})),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise IndexMismatch(
                f"the Milvus collection's manifest is incomplete ({err}); run export-milvus again"
            ) from err


class MilvusIndex:
    """What the answer and the app's pages read of a loaded index, from the collections: the manifest,
    clauses by id, and (loaded on first use, once per searcher) the documents with their headings and
    text, all clauses and the indicator rows. The pages scan these as they scan a files index."""

    def __init__(self, searcher: MilvusSearcher, manifest: CollectionManifest):
        self._searcher = searcher
        self._collection_manifest = manifest
        self._loaded: dict[str, object] = {}
        self._entries: dict[str, DocumentEntry] = {}  # documents read one by one (document()), the latest kept
        self._lock = threading.Lock()

    def clause(self, clause_id: str) -> Clause | None:
        return self._searcher._records([clause_id]).get(clause_id)

    def _once(self, name: str, load):
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load()
            return self._loaded[name]

    @property
    def manifest(self) -> Manifest:
        """The index manifest the collection was filled from (its fingerprint, sources, counts …)."""

        def load() -> Manifest:
            data = self._searcher._blob("manifest")
            if data is None:
                raise IndexMismatch("the Milvus collection has no manifest; run python -m indexer export-milvus")
            return Manifest.from_json(data)

        return self._once("manifest", load)

    @property
    def documents(self) -> tuple[DocumentEntry, ...]:
        def load():
            return tuple(self._entry(d) for d in self._searcher._doc_list)

        return self._once("documents", load)

    def document(self, doc_id: str) -> DocumentEntry | None:
        """One document's entry: its own text (the others are not read unless ``documents`` was)."""
        with self._lock:
            every = self._loaded.get("documents")
        if every is not None:
            return next((d for d in every if d.document.doc_id == doc_id), None)
        doc = self._searcher.docs.get(doc_id)
        if doc is None:
            return None
        with self._lock:
            entry = self._entries.get(doc_id)
        if entry is None:
            entry = self._entry(doc)
            with self._lock:
                if len(self._entries) >= ENTRIES_KEPT:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[doc_id] = entry
        return entry

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """Every clause, in index order (document, then position)."""

        def load():
            position = {d.doc_id: i for i, d in enumerate(self._searcher._doc_list)}
            rows = self._searcher._scan(self._searcher.names[0], 'clause_id != ""', ["record"])
            rows.sort(key=lambda r: (position.get(r["record"]["clause"]["doc_id"], 0), r["record"].get("order", 0)))
            return tuple(Clause.from_json(r["record"]["clause"]) for r in rows)

        return self._once("clauses", load)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """One document's clauses in index order: a query on its ``doc_id`` (the whole collection is
        scanned only when the pages asked for every clause already)."""
        with self._lock:
            every = self._loaded.get("clauses")
        if every is not None:
            return [c for c in every if c.doc_id == doc_id]
        rows = self._searcher._scan(self._searcher.names[0], f"doc_id == {_lit(doc_id)}", ["record"])
        rows.sort(key=lambda r: r["record"].get("order", 0))
        return [Clause.from_json(r["record"]["clause"]) for r in rows]

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        def load():
            out = []
            for d in self._searcher._doc_list:
                out += [Indicator.from_json(i) for i in self._searcher._blob(f"indicators:{d.doc_id}") or []]
            return tuple(out)

        return self._once("indicators", load)

    def indicators_of(self, doc_id: str) -> list[Indicator]:
        """One document's indicators: its own blob (not every document's, as ``indicators`` reads)."""
        with self._lock:
            every = self._loaded.get("indicators")
        if every is not None:
            return [i for i in every if i.doc_id == doc_id]
        return [Indicator.from_json(i) for i in self._searcher._blob(f"indicators:{doc_id}") or []]

    def _entry(self, doc: Document) -> DocumentEntry:
        data = self._searcher._blob(f"doc:{doc.doc_id}") or {"headings": [], "text": ""}
        headings = tuple(Heading(**{**h, "path": tuple(h["path"]), "span": tuple(h["span"])}) for h in data["headings"])
        return DocumentEntry(doc, headings, data["text"])


class TermWeights(Mapping):
    """IDF of lexical tokens, read from the meta collection on demand (the vocabulary of a large corpus is
    not loaded whole); a token the corpus lacks is absent, as in the files backend's dict."""

    def __init__(self, searcher: MilvusSearcher, n_clauses: int, size: int):
        self._searcher = searcher
        self._n = max(n_clauses, 1)
        self._size = size
        self._cache: dict[str, float | None] = {}
        self._lock = threading.Lock()

    def prefetch(self, terms) -> None:
        missing = sorted({t for t in terms if t not in self._cache})
        if not missing:
            return
        found = self._searcher._meta([f"t:{t}" for t in missing])
        with self._lock:
            for t in missing:
                data = found.get(f"t:{t}")
                df = int(data["df"]) if data else 0
                self._cache[t] = math.log(1 + self._n / df) if df else None

    def __getitem__(self, term: str) -> float:
        self.prefetch([term])
        value = self._cache.get(term)
        if value is None:
            raise KeyError(term)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter([t for t, v in list(self._cache.items()) if v is not None])

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return True


class MilvusSearcher:
    """The Searcher's public verbs over Milvus collections."""

    def __init__(self, client, settings: MilvusSettings, manifest: CollectionManifest, embedder):
        check_query_model(embedder, manifest, "the Milvus collection was filled", "export again")
        self.client = client
        self.settings = settings
        self.names = settings.names()
        self.embedder = embedder
        self.collection_manifest = manifest
        self.index = MilvusIndex(self, manifest)
        self.weights = dict(FUSION_WEIGHTS)
        self._search_params = {"metric_type": "IP", "params": SEARCH_PARAMS.get(manifest.index_type, {})}
        rows = self._scan(self.names[2], 'key like "d:%"', ["data"])
        rows.sort(key=lambda r: (r["data"].get("position", 0), r["data"]["document"]["doc_id"]))
        docs = [Document.from_json(r["data"]["document"]) for r in rows]
        names = cite_names(docs)
        docs = [replace(d, cite_name=names.get(d.doc_id, "")) for d in docs]
        self._doc_list = docs
        self.docs = {d.doc_id: d for d in docs}
        self.regions = tuple(KnownRegion(d.region, d.region_level, d.province) for d in docs if d.region)
        n = int(manifest.counts.get("clauses", 0))
        self._max_idf = math.log(1 + max(n, 1))
        self._idf = TermWeights(self, n, int(manifest.counts.get("terms", 0)))
        self._query_cache: dict[str, list[float]] = {}
        self._forms: dict[str, str] = {}
        self._clauses: dict[str, tuple[Clause, tuple]] = {}
        self._naming: dict[str, list[str]] | None | bool = False  # department_docs, read once (False: not yet)
        self._departments: list[str] | None = None  # department_names, read once
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: MilvusSettings | None = None, embedder=None, client=None) -> MilvusSearcher:
        """Connect, check the collection's manifest, and load the embedder it records."""
        settings = settings or MilvusSettings.from_env(backend="milvus")
        client = client or connect(settings)
        try:
            data = check_manifest(read_manifest_property(client, settings.collection), settings.collection)
            for name in settings.names():  # a no-op where loaded already; Lite starts each process released
                client.load_collection(name)
        except IndexMismatch:
            raise
        except Exception as err:  # noqa: BLE001 - pymilvus and gRPC errors become one line
            raise MilvusUnavailable(f"Milvus at {settings.uri}: {one_line(err)}") from err
        manifest = CollectionManifest.from_property(data)
        if embedder is None:
            from indexer.embedding import EmbedderSettings, get_embedder

            embedder = get_embedder(
                EmbedderSettings.from_env(
                    model=manifest.model, query_prompt=manifest.query_prompt, passage_prompt=manifest.passage_prompt
                )
            )
        return cls(client, settings, manifest, embedder)

    # --- the public verbs ----------------------------------------------------------------------------

    def parse(self, query: str) -> ParsedQuery:
        return parse_query(query, self.regions)

    def search(
        self, query: str | ParsedQuery, k: int = 10, filters: Filters | None = None, *, mode: str = "hybrid"
    ) -> list[Hit]:
        """The k best clauses for a question: hybrid ranking, section references first (as the files backend)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        pq = query if isinstance(query, ParsedQuery) else self.parse(query)
        filters = filters or Filters()
        if pq.regions and not filters.regions:
            filters = replace(filters, regions=pq.regions)
        expr = self._expr(filters)
        if expr is None:
            return []
        return self._rank(pq, self._embed_query(pq.embedding_text), expr, k, self._resolve(pq, expr), mode)

    def compare(self, query: str, per_region: int = 2, filters: Filters | None = None) -> list[RegionCoverage]:
        """The best clauses of every region on a topic; regions with no confident clause come back empty."""
        pq = replace(self.parse(query), regions=(), section_ref=None)
        expr = self._expr(filters or Filters())
        hits = [] if expr is None else self._rank(pq, self._embed_query(pq.embedding_text), expr, 2 * CANDIDATES, [])
        return self._by_region(pq, hits, per_region, exclude_region="", similar=False)

    def similar_to(self, clause_id: str, per_region: int = 1) -> list[RegionCoverage]:
        """The closest clauses to a clause in each other region (dense and lexical, fused)."""
        rows = self._call(
            self.client.query,
            self.names[0],
            filter=f"clause_id == {_lit(clause_id)}",
            output_fields=["vector", "record"],
        )
        if not rows:
            raise KeyError(f"no clause {clause_id!r} in the index")
        clause = Clause.from_json(rows[0]["record"]["clause"])
        from indexer.lexical import tokenize

        form = search_form(clause.text).text
        tokens = tokenize(form, self.collection_manifest.tokenizer)
        self._idf.prefetch(tokens)
        tokens = salient_tokens(tokens, self._idf)
        pq = ParsedQuery(raw=clause.text, text=clause.text, search_text=form, content_text=form, lexical_tokens=tokens)
        expr = f'region != {_lit(clause.region)} and kind != "indicator"'
        hits = self._rank(pq, list(rows[0]["vector"]), expr, 2 * CANDIDATES, [])
        return self._by_region(pq, hits, per_region, exclude_region=clause.region, similar=True)

    def signals(self, query: ParsedQuery | str, hit: Hit | None) -> Signals:
        """Confidence signals of a hit for a query (dense cosine, weighted term coverage), as the files backend."""
        pq = query if isinstance(query, ParsedQuery) else self.parse(query)
        if hit is None:
            return Signals(0.0, 0.0)
        terms = query_terms(pq.content_text or pq.search_text)
        self._idf.prefetch(terms)
        total = sum(self._idf.get(t, self._max_idf) for t in terms)
        form = self._form(hit.clause)
        found = sum(self._idf.get(t, self._max_idf) for t in terms if t in form)
        return Signals(hit.dense_score or 0.0, found / total if total else 0.0)

    def best_signals(self, query: ParsedQuery | str, hits: list[Hit]) -> Signals:
        sigs = [self.signals(query, h) for h in hits] or [Signals(0.0, 0.0)]
        return Signals(max(s.dense for s in sigs), max(s.coverage for s in sigs))

    def term_weights(self) -> Mapping[str, float]:
        return self._idf

    # --- ranking ---------------------------------------------------------------------------------------

    def _rank(self, pq: ParsedQuery, qv, expr: str, k: int, pinned: list[str], mode: str = "hybrid") -> list[Hit]:
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}")
        dense_ids, dense = self._dense(qv, expr)
        tokens = pq.lexical_tokens
        if tokens is None:
            from indexer.lexical import tokenize

            tokens = tokenize(pq.content_text or pq.search_text, self.collection_manifest.tokenizer)
        lexical_ids, lexical = self._lexical(list(tokens), expr)
        preferred = None
        if pq.doc_types:
            preferred = {d for d, doc in self.docs.items() if type_matches(pq.doc_types, doc.doc_type)}
            if len(preferred) == len(self.docs):
                preferred = None
        return fuse_hits(
            pq,
            Ranked(dense_ids, dense),
            Ranked(lexical_ids, lexical),
            mode=mode,
            weights=self.weights,
            pinned=pinned,
            k=k,
            fetch=self._records,
            documents=self.docs,
            preferred=preferred,
        )

    def _dense(self, qv, expr: str) -> tuple[list[str], dict[str, float]]:
        """The CANDIDATES best clauses by MaxP: the better of a clause's own cosine and its best sentence's
        (the sentence search is grouped by clause, so each clause comes back once, with its best sentence)."""
        vector = [float(x) for x in qv]
        scores: dict[str, float] = {}
        common = {
            "data": [vector],
            "anns_field": "vector",
            "limit": CANDIDATES,
            "filter": expr,
            "output_fields": ["clause_id"],
            "search_params": self._search_params,
        }
        for name, extra in ((self.names[0], {}), (self.names[1], {"group_by_field": "clause_id", "group_size": 1})):
            for hit in self._call(self.client.search, name, **common, **extra)[0]:
                cid = hit["entity"]["clause_id"]
                scores[cid] = max(scores.get(cid, -2.0), float(hit["distance"]))
        ids = sorted(scores, key=lambda c: (-scores[c], c))[:CANDIDATES]
        return ids, scores

    def _lexical(self, tokens: list[str], expr: str) -> tuple[list[str], dict[str, float]]:
        """BM25 over the index's own tokens. Lite returns BM25 negated: the order counts, not the value."""
        tokens = hex_tokens(tokens)
        if not tokens:
            return [], {}
        found = self._call(
            self.client.search,
            self.names[0],
            data=[tokens],
            anns_field="lexical_bm25",
            limit=CANDIDATES,
            filter=expr,
            output_fields=["clause_id"],
            search_params={"metric_type": "BM25"},
        )[0]
        scores = {h["entity"]["clause_id"]: abs(float(h["distance"])) for h in found if h["distance"]}
        return sorted(scores, key=lambda c: (-scores[c], c)), scores

    def _by_region(
        self, pq: ParsedQuery, hits: list[Hit], per_region: int, exclude_region: str, similar: bool
    ) -> list[RegionCoverage]:
        from .answer import region_judges

        regions: dict[str, str] = {}
        for d in self.docs.values():
            if d.region:
                regions.setdefault(d.region, d.region_level)
        topic = pq.content_text or pq.search_text

        def coverage(h: Hit) -> float:  # shared words count only beside one of the topic's long words
            return self.signals(pq, h).coverage if names_topic(topic, self._form(h.clause)) else 0.0

        judges = region_judges(coverage, similar, hits)
        return by_region(hits, regions, per_region, exclude_region, *judges)

    # --- filters, section references -------------------------------------------------------------------

    def _expr(self, filters: Filters) -> str | None:
        """The filters as a Milvus boolean expression; None when no document can pass. Document-level
        filters resolve per document (as the files backend's mask), then narrow the partitions."""
        parts = ['kind != ""']
        if filters.regions or filters.levels or filters.doc_ids:
            allowed = [
                d
                for d in self.docs.values()
                if (not filters.regions or d.region in filters.regions or d.province in filters.regions
                    or prefecture_of(d.region, d.region_level, d.province, d.title) in filters.regions)
                and (not filters.levels or d.region_level in filters.levels)
                and (not filters.doc_ids or d.doc_id in filters.doc_ids)
            ]
            if not allowed:
                return None
            parts.append(f"region in {_lits(sorted({d.region for d in allowed}))}")
            parts.append(f"doc_id in {_lits([d.doc_id for d in allowed])}")
        if filters.kinds:
            parts.append(f"kind in {_lits(filters.kinds)}")
        if filters.department:  # in any of its forms (省人社厅, 省人力资源社会保障厅)
            parts.append(self._department_like(filters.department))
        for i, label in enumerate(filters.section_prefix):
            parts.append(f"section_path[{i}] == {_lit(label)}")
        return " and ".join(parts)

    def _resolve(self, pq: ParsedQuery, expr: str) -> list[str]:
        """Clause ids of the section a query names (its parts and sub-clauses), best match first: the
        number path pre-filters in Milvus, ``_match_ref`` (the files backend's) decides."""
        ref = pq.section_ref
        if ref is None:
            return []
        where = expr if ref_indicator(pq) else f'{expr} and kind != "indicator"'  # an indicator's citation
        if ref.numbers == PREFACE:  # 泰安市 · 前言: the preamble, which no number names
            where = f'{expr} and kind == "preamble"'
        if pq.doc_types:  # the documents of the type named, where the filters leave any (as the files
            # backend: whether or not they have the section - never another type's section instead)
            typed = sorted(d for d, doc in self.docs.items() if type_matches(pq.doc_types, doc.doc_type))
            typed_where = f"{where} and doc_id in {_lits(typed)}"
            if typed and self._call(
                self.client.query, self.names[0], limit=1, output_fields=["clause_id"], filter=typed_where
            ):
                where = typed_where
        named = sorted(d.doc_id for d in titled(pq.search_text, list(self.docs.values())))
        if named:  # the documents whose title the query writes, and no other (where the filters leave any)
            named_where = f"{where} and doc_id in {_lits(named)}"
            if self._call(self.client.query, self.names[0], limit=1, output_fields=["clause_id"], filter=named_where):
                where = named_where
        # the closely written numbers are a run of the whole reference's: their path finds both's rows
        path = "/" + "".join(f"{v}/" for _, v in (ref.fallback or ref.numbers))
        expr = f"{where} and number_path like {_lit('%' + path + '%')}" if ref.numbers else where
        rows = self._call(self.client.query, self.names[0], limit=QUERY_LIMIT, output_fields=["record"], filter=expr)
        if len(rows) >= QUERY_LIMIT:  # a broad reference (第十条 of 10^4 regulations): every row, in batches
            rows = self._scan(self.names[0], expr, ["record"])
        candidates = []
        for row in rows:
            clause = Clause.from_json(row["record"]["clause"])
            numbers = tuple((s, int(v)) for s, v in row["record"]["numbers"])
            self._remember(clause, numbers)
            candidates.append((clause, numbers))
        docs = [self.docs[d] for d in sorted({c.doc_id for c, _ in candidates})]
        tiers = []  # the documents the query names by title or own region first, as the files backend
        for tier in document_tiers(docs, pq.regions, ref_head(pq)):
            ids = {d.doc_id for d in tier}
            tiers.append([c for c in candidates if c[0].doc_id in ids])
        chosen: list[Clause] = []
        for tier, numbers in itertools.product(tiers, section_ref_tries(ref)):
            # the preamble: every candidate is one (the query asked for kind preamble)
            chosen = _match(tier, SectionRef(numbers, ref.text)) if numbers else [c for c, _ in tier]
            if chosen:
                break
        chosen.sort(key=lambda c: (c.doc_id, c.span[0]))
        chosen = order_resolved(pq, chosen, [c.doc_id for c in chosen], self.docs, lambda c: c)
        return [c.clause_id for c in chosen]

    # --- reading rows ----------------------------------------------------------------------------------

    def _records(self, clause_ids: list[str]) -> dict[str, Clause]:
        """Clauses by id (cached: a clause's record changes only with the collection's fingerprint)."""
        missing = sorted({c for c in clause_ids if c not in self._clauses})
        for i in range(0, len(missing), 1000):
            rows = self._call(
                self.client.query,
                self.names[0],
                filter=f"clause_id in {_lits(missing[i : i + 1000])}",
                output_fields=["record"],
            )
            for row in rows:
                numbers = tuple((s, int(v)) for s, v in row["record"]["numbers"])
                self._remember(Clause.from_json(row["record"]["clause"]), numbers)
        return {c: self._clauses[c][0] for c in clause_ids if c in self._clauses}

    def _remember(self, clause: Clause, numbers: tuple) -> None:
        with self._lock:
            if len(self._clauses) > 100_000:
                self._clauses.clear()
            self._clauses[clause.clause_id] = (clause, numbers)

    def _meta(self, keys: list[str]) -> dict[str, dict]:
        out = {}
        for i in range(0, len(keys), 1000):
            rows = self._call(
                self.client.query,
                self.names[2],
                filter=f"key in {_lits(keys[i : i + 1000])}",
                output_fields=["key", "data"],
            )
            out.update({r["key"]: r["data"] for r in rows})
        return out

    def department_names(self) -> list[str]:
        """Every department some clause names, sorted: the list the export stored (a collection filled
        before it did is scanned once, clause by clause)."""
        with self._lock:  # read once per searcher (a department filter asks for it on every search)
            names = self._departments
        if names is None:
            names = self._blob("departments")
            if names is None:
                names = sorted({dep for c in self.index.clauses for dep in c.departments.all})
            with self._lock:
                self._departments = names
        return list(names)

    def documents_naming(self, department: str) -> set[str]:
        """The documents with a clause naming a department whose name contains ``department`` (doc ids):
        from the export's table of them (a collection filled before it had one scans the matching rows)."""
        with self._lock:  # read once per searcher, as its documents are: it changes only with an export
            if self._naming is False:
                self._naming = self._blob("department_docs")
            naming = self._naming
        if naming is None:
            return {r["doc_id"] for r in self._scan(self.names[0], self._department_like(department), ["doc_id"])}
        forms = department_forms(to_simplified(department))
        return {doc for name, docs in naming.items() if any(f in to_simplified(name) for f in forms) for doc in docs}

    def _department_like(self, department: str) -> str:
        """A filter on the departments field for a name written in any of its forms (indexer.bodies), and in
        traditional script where the index writes it so (省市場監管局), as the files backend matches it."""
        forms = department_forms(to_simplified(department))
        written = [n for n in self.department_names() if to_simplified(n) != n and any(f in to_simplified(n) for f in forms)]
        spellings = list(dict.fromkeys([department, *forms, *written]))[:MAX_LIKES]
        likes = [f"departments like {_lit('%' + _like_escape(f) + '%')}" for f in spellings]
        return likes[0] if len(likes) == 1 else "(" + " or ".join(likes) + ")"

    def _blob(self, name: str):
        rows = self._call(
            self.client.query,
            self.names[2],
            filter=f"key like {_lit('b:' + _like_escape(name) + ':%')}",
            output_fields=["key", "data"],
            limit=QUERY_LIMIT,
        )
        return join_blob(rows)

    def _scan(self, name: str, expr: str, fields: list[str]) -> list[dict]:
        out = []
        it = self._call(self.client.query_iterator, name, batch_size=1000, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                out.extend(batch)
        finally:
            it.close()
        return out

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - pymilvus and gRPC errors become one typed line
            raise MilvusUnavailable(f"Milvus at {self.settings.uri}: {one_line(err)}") from err

    def _embed_query(self, text: str):
        vector = self._query_cache.get(text)
        if vector is None:
            vector = self.embedder.embed_query(text)
            with self._lock:
                if len(self._query_cache) >= 512:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = vector
        return vector

    def _form(self, clause: Clause) -> str:
        form = self._forms.get(clause.clause_id)
        if form is None:
            form = search_form(" ".join(clause.section_path) + "\n" + clause.text).text
            with self._lock:
                if len(self._forms) > 100_000:
                    self._forms.clear()
                self._forms[clause.clause_id] = form
        return form


def _match(candidates: list[tuple[Clause, tuple]], ref: SectionRef) -> list[Clause]:
    """The candidates whose numbers match the reference best (``_match_ref``'s longest match)."""
    best, chosen = 0, []
    for clause, numbers in candidates:
        n = _match_ref(numbers, ref)
        if n > best:
            best, chosen = n, [clause]
        elif n == best and n > 0:
            chosen.append(clause)
    return chosen


def _lit(text: str) -> str:
    """A Milvus string literal (double-quoted, JSON escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _lits(items) -> str:
    return "[" + ", ".join(_lit(t) for t in items) + "]"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
