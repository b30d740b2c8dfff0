"""The index on disk: FAISS plus plain JSON/JSONL sidecars plus a manifest. Never pickle.

    index/manifest.json     format, parser, model (id, dim, prompts), tokenizer, per-source sha256, counts
    index/faiss.index       inner-product index, flat (exact) up to ANN_THRESHOLD clauses, IVF above it (the
                            manifest's ``vector_index`` says which); row i is clauses.jsonl line i
    index/clauses.jsonl     one clause a line (plus the hash of the text that was embedded)
    index/documents.json    documents with their heading tree and cleaned text (for context and browsing)
    index/indicators.jsonl  one indicator a line
    index/lexical/          BM25 term frequencies and clause lengths, scored at query time (``postings``; an
                            index of format 2 holds bm25s's precomputed matrix), allow_pickle=False
    index/segments/NNNNNN/  plans added since the base was written (``segments``): the same files for their
                            clauses, vectors in flat FAISS files; rows continue after the base's

Writes go to a sibling temp folder that replaces the old one only when complete; loading checks the
manifest against the files and raises a typed error on any mismatch.

This module holds the loaded index (``PlanIndex``) and writes and loads one. The manifest is
``indexer.manifest``; the folder's file names, checksums, lock and swap ``indexer.folders``; the FAISS files,
the sentence vectors and views of the vectors ``indexer.vectors``. Every name callers imported from here
before the split still imports from here (``__all__``, and the two private ones tests and bench/ read).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import IndexDamaged, IndexWriteFailed
from .folders import (
    INDEX_FILES,
    LEXICAL_FILES,
    MANIFEST,
    REQUIRED_FILES,
    SEGMENT_FILES,
    SEGMENTS,
    TOKENS,
    _live_folder,
    _sha256,  # noqa: F401  (moved; tests read it from here)
    _state,
    _write_json_atomic,
    build_lock,
    check_index_target,
    clean_stale_staging,
    file_checksums,
    is_index_folder,
    link_or_copy,
    recover,
    staging_dir,
    swap_in,
    verify_files,
)
from .manifest import (
    ANN_ENCODING,
    ANN_NPROBE,
    ANN_THRESHOLD,
    FORMAT_VERSION,
    NORMALIZATION,
    PARSER_VERSION,
    READABLE_FORMATS,
    TOMBSTONE_FORMAT,
    Manifest,
    SegmentEntry,
    SourceEntry,
    Tombstone,
    _nlist,  # noqa: F401  (moved; bench/ reads it from here)
    read_manifest,
    vector_index_spec,
)
from .metadata import cite_names
from .records import Clause, Document, Heading, Indicator
from .rowtable import ROWS, ClauseTable, RowColumns, Strings
from .vectors import (
    IndexRows,
    SentenceVectors,
    _check_vectors,
    _prepare,
    _read_faiss,
    _read_sentences,
    _write_vectors,
    flat_view,
    vector_rows,
)

# The public names of this module before it was split in four (most now defined in the three above): they
# still import from here, so no caller had to change.
__all__ = [
    "ANN_ENCODING", "ANN_NPROBE", "ANN_THRESHOLD", "FORMAT_VERSION", "INDEX_FILES", "LEXICAL_FILES", "LOAD_ATTEMPTS",
    "MANIFEST", "NORMALIZATION", "PARSER_VERSION", "READABLE_FORMATS", "REQUIRED_FILES", "SEGMENTS", "SEGMENT_FILES",
    "TOKENS", "TOMBSTONE_FORMAT", "DocumentEntry", "IndexRows", "Manifest", "PlanIndex", "SegmentEntry",
    "SentenceVectors", "SourceEntry", "Tombstone", "build_lock", "check_index_target", "clean_stale_staging",
    "dead_parts", "file_checksums", "flat_view", "is_index_folder", "link_or_copy", "load_index", "read_manifest",
    "recover", "staging_dir", "swap_in", "vector_index_spec", "vector_rows", "verify_files", "write_index",
    "write_parts", "write_tokens",
]


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document as the index keeps it: metadata, heading tree and the cleaned text spans point into."""

    document: Document
    headings: tuple[Heading, ...]
    text: str


@dataclass(slots=True)
class PlanIndex:
    """A loaded index. Clause i is FAISS row i and lexical document i.

    Loaded from disk, ``clauses`` is a ``ClauseTable`` (read from clauses.jsonl row by row) and
    ``embed_keys`` a ``Strings``; built in memory they may be tuples."""

    folder: Path
    manifest: Manifest
    documents: tuple[DocumentEntry, ...]
    clauses: Sequence[Clause]
    indicators: tuple[Indicator, ...]
    faiss: object
    lexical: object
    embed_keys: Sequence[str] = ()
    sentences: SentenceVectors | None = None
    # With tombstones over an IVF index: the FAISS id of each live row (the dead rows stay in its
    # memory-mapped lists, never returned; a changed plan's rows in its old place); None: row i is id i
    vector_ids: np.ndarray | None = None
    _ids: Strings | None = None
    _docs: dict[str, DocumentEntry] = field(default_factory=dict)
    _indicators_by_doc: dict[str, list[Indicator]] | None = None

    def __post_init__(self) -> None:
        names = cite_names([d.document for d in self.documents])
        self.documents = tuple(
            replace(d, document=replace(d.document, cite_name=names.get(d.document.doc_id, ""))) for d in self.documents
        )
        ids = getattr(self.clauses, "ids", None)
        self._ids = ids if isinstance(ids, Strings) else Strings.of(c.clause_id for c in self.clauses)
        self._docs = {d.document.doc_id: d for d in self.documents}

    @property
    def ids(self) -> Strings:
        """The clause ids by row (one byte array, not a dictionary of strings)."""
        return self._ids

    def row(self, clause_id: str) -> int | None:
        return self._ids.position(clause_id)

    def clause(self, clause_id: str) -> Clause | None:
        i = self.row(clause_id)
        return None if i is None else self.clauses[i]

    def document(self, doc_id: str) -> DocumentEntry | None:
        return self._docs.get(doc_id)

    def clauses_of(self, doc_id: str) -> list[Clause]:
        """One document's clauses in row order. A loaded index finds their rows in its document column
        and reads only those lines (walking every clause of a large index parses all of clauses.jsonl)."""
        rows = getattr(self.clauses, "rows", None)
        if rows is not None:
            positions = [i for i, d in enumerate(self.documents) if d.document.doc_id == doc_id]
            if not positions:
                return []
            return [self.clauses[int(i)] for i in np.flatnonzero(rows.doc == positions[0])]
        return [c for c in self.clauses if c.doc_id == doc_id]

    def indicators_of(self, doc_id: str) -> list[Indicator]:
        """One document's indicators, in reading order (grouped once, not scanned each call)."""
        if self._indicators_by_doc is None:
            grouped: dict[str, list[Indicator]] = {}
            for ind in self.indicators:
                grouped.setdefault(ind.doc_id, []).append(ind)
            self._indicators_by_doc = grouped
        return list(self._indicators_by_doc.get(doc_id, ()))

    def vectors(self) -> np.ndarray:
        """The clause vectors: for a flat index a read-only view of FAISS's own storage (no copy), for an
        IVF index a decoded copy (for reuse by a build; searches go through the IVF index)."""
        rows = vector_rows(self.faiss, self.vector_ids)
        if isinstance(rows, np.ndarray):
            return rows
        if self.vector_ids is not None:
            return np.asarray(rows)
        n = self.faiss.ntotal
        return self.faiss.reconstruct_n(0, n) if n else np.zeros((0, self.manifest.dim), dtype=np.float32)

    def vector_table(self):
        """The clause vectors by row without a copy (``vector_rows``)."""
        return vector_rows(self.faiss, self.vector_ids)

    def vector(self, row: int) -> np.ndarray:
        return self.vector_table()[row]


# --- writing -------------------------------------------------------------------------------------------


def write_index(
    folder: Path,
    manifest: Manifest,
    documents: list[DocumentEntry],
    clauses: list[Clause],
    embed_keys: list[str],
    vectors: np.ndarray,
    indicators: list[Indicator],
    lexical,
    sentences: SentenceVectors | None = None,
    tokens: dict | None = None,
) -> Manifest:
    """Write a complete index into ``folder`` (which must not exist yet), manifest last, and return the
    manifest as written (with the size and sha256 of every file, checked when the index is loaded).

    ``tokens``: key -> the token counts of one document (``lexical.TokenCounts``), or the path of its
    cached file in the previous index (hard-linked, copied if it cannot be), kept for the next build."""
    write_parts(folder, manifest.dim, manifest.vector_index, documents, clauses, embed_keys, vectors, indicators,
                lexical, sentences)
    write_tokens(folder, tokens or {})
    manifest = replace(manifest, files=file_checksums(folder))
    _write_json_atomic(folder / MANIFEST, manifest.to_json())
    return manifest


def write_parts(
    folder: Path,
    dim: int,
    spec: dict,
    documents: list[DocumentEntry],
    clauses: list[Clause],
    embed_keys: list[str],
    vectors: np.ndarray,
    indicators: list[Indicator],
    lexical,
    sentences: SentenceVectors | None = None,
) -> None:
    """The files of an index or of one of its segments (``folder`` must not exist yet), without manifest."""
    sentences = sentences or SentenceVectors.empty(dim)
    for array in (vectors, sentences.vectors):
        if len(array) and not np.isfinite(array).all():
            raise IndexWriteFailed("the embedding model returned vectors that are not finite numbers; nothing was written")
    folder.mkdir(parents=True)
    _write_vectors(folder / "faiss.index", vectors, dim, spec, spec.get("nlist", 0))
    _write_vectors(folder / "sentences.faiss", sentences.vectors, dim, spec, spec.get("sentence_nlist", 0))
    with (folder / "sentences.jsonl").open("w", encoding="utf-8") as f:
        spans = np.asarray(sentences.spans, dtype=np.int64).reshape(-1, 2).tolist()
        for row, span, key in zip(sentences.rows.tolist(), spans, sentences.keys, strict=True):
            f.write(json.dumps({"row": row, "span": span, "key": key}) + "\n")
    starts = [0]
    with (folder / "clauses.jsonl").open("wb") as f:
        for clause, key in zip(clauses, embed_keys, strict=True):
            line = (json.dumps({**clause.to_json(), "embed_key": key}, ensure_ascii=False) + "\n").encode("utf-8")
            f.write(line)
            starts.append(starts[-1] + len(line))
    RowColumns.of(clauses, embed_keys, starts, [d.document.doc_id for d in documents]).save(folder / ROWS)
    docs = [
        {**d.document.to_json(), "headings": [h.to_json() for h in d.headings], "text": d.text} for d in documents
    ]
    (folder / "documents.json").write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
    with (folder / "indicators.jsonl").open("w", encoding="utf-8") as f:
        for ind in indicators:
            f.write(json.dumps(ind.to_json(), ensure_ascii=False) + "\n")
    lexical.save(folder / "lexical")


def write_tokens(folder: Path, tokens: dict) -> None:
    """Token counts kept for the next build under ``tokens/``: objects saved, paths hard-linked."""
    if not tokens:
        return
    (folder / TOKENS).mkdir(exist_ok=True)
    for key, counts in tokens.items():
        target = folder / TOKENS / f"{key}.npz"
        if target.exists():
            continue
        if isinstance(counts, Path):
            link_or_copy(counts, target)
        else:
            counts.save(target)


# --- reading -------------------------------------------------------------------------------------------


# Checksums verified in this process: (folder, manifest fingerprint). Sizes are checked on every load,
# hashes once per index version (the app reloads only when the manifest changes).
_VERIFIED: set[tuple[str, str]] = set()


LOAD_ATTEMPTS = 6  # reads of an index that a build keeps swapping, 0.05 s, 0.1 s … apart (0.75 s in all)


def load_index(folder: str | Path, *, verify: str = "auto") -> PlanIndex:
    """Load and check an index. IndexNotFound when there is none; IndexDamaged when a file cannot be read
    or differs from the manifest; IndexMismatch when its parts disagree.

    ``verify``: 'auto' checks sizes always and sha256 once per index version in this process (and once per
    file: the files a new segment carried over are not hashed again); 'full' always hashes; 'sizes' never
    does. A swap by a build running at the same time is retried."""
    folder = Path(folder)
    # One swap is three changes on disk (live folder aside, new one in, old one removed) a few
    # milliseconds apart: a read that overlapped one waits a little before it reads again, so that it
    # does not meet the next one too.
    for attempt in range(LOAD_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * attempt)
        before = _state(folder)
        try:
            index = _load(folder, verify)
        except IndexDamaged:
            # A build swapped the index while we read it: read again what is there now.
            if attempt == LOAD_ATTEMPTS - 1 or _state(folder) == before:
                raise
            continue
        if _state(folder) == before:
            return index
        # A swap landed while we read: the files may mix two versions even when each looked fine.
    raise IndexDamaged(f"the index at {folder} kept changing while it was read; try again")


def _load(folder: Path, verify: str) -> PlanIndex:

    from .lexical import LexicalIndex

    manifest = read_manifest(folder)
    folder = _live_folder(folder)
    key = (str(folder.resolve()), manifest.fingerprint)
    hashes = verify == "full" or (verify == "auto" and key not in _VERIFIED)
    verify_files(folder, manifest, hashes=hashes, again=verify == "full")
    try:
        parts = [_read_part(folder)] + [_read_part(folder / g.folder) for g in manifest.segments]
        dead = dead_parts(manifest)
        lexical = LexicalIndex.load(folder / "lexical", *(folder / g.folder / "lexical" for g in manifest.segments),
                                    dead=None if dead is None else [rows for rows, _ in dead])
        vector_ids = None
        if len(parts) > 1 or dead is not None:
            from .segments import join_parts

            clauses, documents, indicators, vectors, sentences, vector_ids, live = join_parts(parts, dead)
            if live is not None:
                lexical.arrange(live)
        else:
            clauses, documents, indicators, vectors, sentences = parts[0]
        del parts
        vectors = _prepare(vectors, manifest)
        sentence_index = _prepare(sentences.index, manifest)
        sentences = replace(sentences, vectors=vector_rows(sentence_index, sentences.index_ids), index=sentence_index)
    except Exception as err:  # noqa: BLE001 - json, faiss, numpy and bm25s raise many types on bad bytes
        raise IndexDamaged(f"the index at {folder} is damaged ({type(err).__name__}: {err}); rebuild it") from err
    if not hashes:  # bytes whose sha256 matched were written by a build, which refuses non-finite vectors
        _check_vectors(folder, vectors)
        _check_vectors(folder, sentence_index)
    problems = []
    n_sentences = sentence_index.ntotal if sentences.index_ids is None else len(sentences.index_ids)
    if n_sentences != len(sentences.rows) or (len(sentences.rows) and
                                              not 0 <= int(sentences.rows.min()) <= int(sentences.rows.max()) < len(clauses)):
        problems.append("sentence vectors do not match their table")
    n_vectors = vectors.ntotal if vector_ids is None else len(vector_ids)
    if n_vectors != len(clauses):
        problems.append(f"{n_vectors} vectors for {len(clauses)} clauses")
    if vectors.d != manifest.dim:
        problems.append(f"vectors of dimension {vectors.d}, manifest says {manifest.dim}")
    if lexical.n_docs != len(clauses):
        problems.append(f"lexical index over {lexical.n_docs} clauses, {len(clauses)} stored")
    if manifest.counts.get("clauses") != len(clauses) or manifest.counts.get("documents") != len(documents):
        problems.append("counts differ from the manifest")
    if manifest.counts.get("indicators", len(indicators)) != len(indicators):
        problems.append(f"{len(indicators)} indicators, the manifest says {manifest.counts.get('indicators')}")
    if problems:
        raise IndexDamaged(f"the index at {folder} does not match its manifest: {'; '.join(problems)}; rebuild it")
    _VERIFIED.add(key)
    return PlanIndex(folder, manifest, documents, clauses, indicators, vectors, lexical, clauses.embed_keys, sentences,
                     vector_ids)


def dead_parts(manifest: Manifest) -> list[tuple[np.ndarray, frozenset[str]]] | None:
    """For each part (the base, then the segments): the rows that tombstones leave out (local to the part,
    ascending) and the ids of their documents; None when there are no tombstones."""
    if not manifest.tombstones:
        return None
    parts = ["", *(g.folder for g in manifest.segments)]
    rows: list[list[np.ndarray]] = [[] for _ in parts]
    docs: list[set[str]] = [set() for _ in parts]
    for t in manifest.tombstones:
        if t.part not in parts or not 0 <= t.start <= t.stop or t.doc_id in docs[parts.index(t.part)]:
            raise IndexDamaged(f"a tombstone names {t.part or 'the base'} rows {t.start}:{t.stop}; rebuild the index")
        rows[parts.index(t.part)].append(np.arange(t.start, t.stop, dtype=np.int64))
        docs[parts.index(t.part)].add(t.doc_id)
    return [(np.unique(np.concatenate(r)) if r else np.zeros(0, dtype=np.int64), frozenset(d))
            for r, d in zip(rows, docs, strict=True)]


def _read_part(folder: Path) -> tuple:
    """(clauses, documents, indicators, clause vectors, sentences) of the base of an index or of a segment,
    its vectors not yet prepared for search."""
    rows = RowColumns.load(folder / ROWS) if (folder / ROWS).exists() else None
    clauses = ClauseTable(folder / "clauses.jsonl", rows)
    docs_json = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    documents = tuple(
        DocumentEntry(
            Document.from_json(d),
            tuple(Heading(**{**h, "path": tuple(h["path"]), "span": tuple(h["span"])}) for h in d["headings"]),
            d["text"],
        )
        for d in docs_json
    )
    del docs_json
    indicators = tuple(
        Indicator.from_json(json.loads(line))
        for line in (folder / "indicators.jsonl").read_text(encoding="utf-8").splitlines()
    )
    vectors = _read_faiss(folder / "faiss.index")
    sentences = _read_sentences(folder / "sentences.jsonl", _read_faiss(folder / "sentences.faiss"))
    return clauses, documents, indicators, vectors, sentences
