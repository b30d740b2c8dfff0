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
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .errors import IndexDamaged, IndexMismatch, IndexNotFound, IndexWriteFailed, UnsafePath
from .records import Clause, Document, Heading, Indicator
from .rowtable import ROWS, ClauseTable, RowColumns, Strings, row_index

# 2: sentence vectors beside the clause vectors (sentences.faiss + sentences.jsonl).
# 3: BM25 as raw term frequencies scored at query time (indexer/postings.py), and delta segments.
# 4: format 3 plus tombstones (documents of the base or a segment no longer live: a changed or removed
#    plan, ``indexer.segments``). An index without tombstones is written as 3, so older code opens it;
#    one with them is 4, which older code refuses with its "rebuild it" error.
FORMAT_VERSION = 3
TOMBSTONE_FORMAT = 4
READABLE_FORMATS = (2, 3, 4)  # format 2 opens as before (its precomputed BM25 matrix); a build rewrites it as 3
# Bump when reading a plan gives different clauses for the same bytes: the index then rebuilds itself.
PARSER_VERSION = "8"
NORMALIZATION = "nfkc+opencc-t2s+lower"
MANIFEST = "manifest.json"
# Every name an index folder of ours may hold (a folder holding anything else is not ours to replace).
INDEX_FILES = frozenset(
    {MANIFEST, MANIFEST + ".tmp", "faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "lexical",
     "sentences.faiss", "sentences.jsonl", "tokens", "rows.npz", "segments"}
)
SEGMENTS = "segments"  # segments/NNNNNN/: the files of plans added since the base was written
# The files of one segment (a subset of an index's own).
SEGMENT_FILES = frozenset({"faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "lexical",
                           "sentences.faiss", "sentences.jsonl", "rows.npz"})
TOKENS = "tokens"  # per-document token counts (lexical.TokenCounts, <key>.npz): a cache, not in the manifest


@dataclass(frozen=True, slots=True)
class SourceEntry:
    source: str
    sha256: str
    doc_id: str
    clauses: int
    ocr_pages: int = 0  # pages read by OCR (a scanned PDF); absent from manifests written before: 0
    # What lets the next build use the index's records of an unchanged source instead of parsing it again
    # (indexer/sources.py); absent from manifests written before (0 / ''), when the source is parsed.
    size: int = 0  # bytes of the file when it was read
    mtime_ns: int = 0  # its modification time then; 0 when it was too recent to trust (sources.RACY_NS)
    content: str = ""  # build.content_key of its cleaned text (duplicates are found without reading it)
    overrides: str = ""  # sha256 of its catalog row and sidecar (sources.overrides_digest)


@dataclass(frozen=True, slots=True)
class SegmentEntry:
    """A delta segment of an index: its folder and what it holds (its rows follow the previous ones)."""

    folder: str  # relative to the index folder: segments/NNNNNN
    sources: tuple[str, ...]
    documents: int
    clauses: int
    sentences: int
    indicators: int


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A document of the base ("") or of a segment that is no longer live (its plan changed or was
    removed): its rows ``start:stop`` of that part (a document's rows are contiguous) disappear at load."""

    part: str  # "" (the base) or the segment's folder, segments/NNNNNN
    doc_id: str
    start: int  # its first row in the part
    stop: int  # the row after its last

    @property
    def clauses(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True, slots=True)
class Manifest:
    format_version: int
    parser_version: str
    model: str
    dim: int
    query_prompt: str
    passage_prompt: str
    embed_text: str  # what was embedded for a clause: 'text' | 'path+text' | 'title+path+text'
    tokenizer: str
    normalization: str
    sources: tuple[SourceEntry, ...]
    counts: dict[str, int]
    skipped: tuple[tuple[str, str], ...] = ()  # (source, reason) of files that could not be read
    built_at: str = ""
    build_seconds: float = 0.0
    duplicates: tuple[tuple[str, str], ...] = ()  # (source, source it duplicates): read, not indexed again
    files: tuple[tuple[str, int, str], ...] = ()  # (path in the index folder, bytes, sha256), checked on load
    # How the vectors are searched: {"type": "flat", "threshold": N} (exact) or, above the threshold,
    # {"type": "ivf", "threshold", "nlist", "sentence_nlist", "nprobe", "encoding"} (see vector_index_spec).
    vector_index: dict = field(default_factory=lambda: {"type": "flat"})
    packs: dict = field(default_factory=dict)  # the data packs (indexer/packs.py) and their sha256
    # How the vectors were computed ("onnx-int8", "torch", "fake"): not part of the model's identity (every
    # runtime of one model agrees at cosine >= 0.995, so any can query), but a build re-embeds on a change, so
    # one index never mixes runtimes. Manifests from before the field were built with torch.
    runtime: str = ""
    # Delta segments after the base, in row order (indexer/segments.py); counts above are of all of them.
    segments: tuple[SegmentEntry, ...] = ()
    # Documents no longer live, in the order they died (format 4; ``indexer.segments``): counts above are
    # of the live rows only.
    tombstones: tuple[Tombstone, ...] = ()

    def to_json(self) -> dict:
        data = asdict(self)
        data["skipped"] = [{"source": s, "reason": r} for s, r in self.skipped]
        data["duplicates"] = [{"source": s, "duplicate_of": d} for s, d in self.duplicates]
        data["files"] = [{"path": p, "bytes": n, "sha256": h} for p, n, h in self.files]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        try:
            return cls(
                format_version=int(data["format_version"]),
                parser_version=str(data["parser_version"]),
                model=data["model"],
                dim=int(data["dim"]),
                query_prompt=data["query_prompt"],
                passage_prompt=data["passage_prompt"],
                embed_text=data["embed_text"],
                tokenizer=data["tokenizer"],
                normalization=data["normalization"],
                sources=tuple(SourceEntry(**s) for s in data["sources"]),
                counts={k: int(v) for k, v in data["counts"].items()},
                skipped=tuple((s["source"], s["reason"]) for s in data.get("skipped", [])),
                built_at=data.get("built_at", ""),
                build_seconds=float(data.get("build_seconds", 0.0)),
                duplicates=tuple((d["source"], d["duplicate_of"]) for d in data.get("duplicates", [])),
                files=tuple((f["path"], int(f["bytes"]), f["sha256"]) for f in data.get("files", [])),
                vector_index=_vector_index(data.get("vector_index")),
                packs={str(k): str(v) for k, v in data.get("packs", {}).items()},
                runtime=str(data.get("runtime") or ("fake" if str(data["model"]).startswith("fake") else "torch")),
                segments=tuple(
                    SegmentEntry(_segment_folder(g["folder"]), tuple(map(str, g["sources"])), int(g["documents"]), int(g["clauses"]),
                                 int(g["sentences"]), int(g["indicators"]))
                    for g in data.get("segments", [])
                ),
                tombstones=tuple(
                    Tombstone(_part_folder(t["part"]), str(t["doc_id"]), int(t["start"]), int(t["stop"]))
                    for t in data.get("tombstones", [])
                ),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise IndexDamaged(f"the index manifest is incomplete or damaged ({err}); rebuild the index") from err

    @property
    def fingerprint(self) -> str:
        """Changes whenever the index content changes (cache key for loaded indexes in the app)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


# Above this many vectors (clauses plus sentences) they are searched through IVF indexes instead of exactly:
# a flat scan of 384-d float32 vectors costs ~0.15 ms per thousand on one core (bench/bench_scale.py: 30 ms
# at 200k, where similar_to and compare then passed 100 ms at p95), while IVF answers in ~4 ms at 600k.
ANN_THRESHOLD = 100_000
# Lists probed per query and how vectors are stored in them: measured by bench/bench_scale.py for
# recall@100 >= 0.98 of exact search (README "Performance").
ANN_NPROBE = 64
ANN_ENCODING = "SQfp16"  # half the memory of float32; cosines off by ~1e-4


def vector_index_spec(clauses: int, sentences: int, threshold: int = ANN_THRESHOLD) -> dict:
    """How an index of this size stores and searches its vectors (recorded in the manifest)."""
    if clauses + sentences <= threshold:
        return {"type": "flat", "threshold": threshold}
    return {"type": "ivf", "threshold": threshold, "nlist": _nlist(clauses), "sentence_nlist": _nlist(sentences),
            "nprobe": ANN_NPROBE, "encoding": ANN_ENCODING}


def _nlist(n: int) -> int:
    """Inverted lists for n vectors: ~2·sqrt(n) (1k lists at 250k, 2k at 1M), never more than n / 39 (k-means
    needs 39 points per centroid)."""
    return max(1, min(int(2 * n**0.5), n // 39))


def _segment_folder(name) -> str:
    """A segment's folder as the manifest names it: segments/ and six digits, nothing else (never a path
    out of the index folder)."""
    if not isinstance(name, str) or not re.fullmatch(SEGMENTS + r"/[0-9]{6}", name):
        raise ValueError(f"bad segment folder {name!r}")
    return name


def _part_folder(name) -> str:
    """A tombstone's part: "" (the base) or a segment's folder."""
    return "" if name == "" else _segment_folder(name)


def _vector_index(data) -> dict:
    if data is None:
        return {"type": "flat"}
    if not isinstance(data, dict) or data.get("type") not in ("flat", "ivf"):
        raise TypeError(f"unknown vector index {data!r}")
    return dict(data)


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document as the index keeps it: metadata, heading tree and the cleaned text spans point into."""

    document: Document
    headings: tuple[Heading, ...]
    text: str


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    """Vectors of the sentences of clauses (each embedded with its heading path): a clause is scored by
    its best sentence as well as by its whole text. Line i of sentences.jsonl is row i of sentences.faiss."""

    rows: np.ndarray  # int32: the clause row each sentence belongs to
    spans: Sequence[tuple[int, int]]  # the sentence within its clause's text (loaded: an (n, 2) int32 array)
    keys: Sequence[str]  # sha1 of the embedded text (vectors are reused by it; loaded: ``Strings``)
    vectors: np.ndarray  # float32, (n, dim), unit length; loaded: a view of ``index``'s storage (or its rows)
    index: object = None  # the loaded FAISS index (flat or IVF) the vectors live in
    # With tombstones over an IVF index: the index's id of each live sentence; None: id = position
    index_ids: np.ndarray | None = None

    @classmethod
    def empty(cls, dim: int) -> SentenceVectors:
        return cls(np.zeros(0, dtype=np.int32), (), (), np.zeros((0, dim), dtype=np.float32))


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

    def __post_init__(self) -> None:
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


class _Owner:
    """Keeps a FAISS index alive as long as a numpy view of its storage exists (the view's ``base``)."""

    def __init__(self, index, view: np.ndarray):
        self._index = index
        self.__array_interface__ = {**view.__array_interface__, "data": (view.ctypes.data, True)}  # read-only


def flat_view(index) -> np.ndarray:
    """A zero-copy, read-only (n, d) float32 view of a flat FAISS index's vectors."""
    import faiss

    n, d = index.ntotal, index.d
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    raw = faiss.rev_swig_ptr(index.get_xb(), n * d).reshape(n, d)
    return np.asarray(_Owner(index, raw))


class IndexRows:
    """Rows of an IVF index, decoded one at a time (``rows[i]``, ``len(rows)``): no second copy. ``ids``:
    the index's id of each row (an index with tombstones: the live ones), None for row i = id i."""

    def __init__(self, index, ids: np.ndarray | None = None):
        from .ivfcodes import LazyScorer

        self.index = index
        self.ids = ids
        self._scorer = LazyScorer(index)

    def __len__(self) -> int:
        return self.index.ntotal if self.ids is None else len(self.ids)

    def _id(self, rows):
        return rows if self.ids is None else self.ids[rows]

    def __getitem__(self, row) -> np.ndarray:
        if isinstance(row, slice):
            return self.take(np.arange(len(self))[row])
        if isinstance(row, np.ndarray | list):
            return self.take(np.asarray(row))
        return self.index.reconstruct(int(self._id(row_index(int(row), len(self)))))

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """All rows decoded (a copy: for code that needs an array, e.g. an export)."""
        out = self.take(np.arange(len(self)))
        return out if dtype is None else out.astype(dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.index.d)

    def take(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros((0, self.index.d), dtype=np.float32)
        return self.index.reconstruct_batch(np.ascontiguousarray(self._id(np.asarray(rows)), dtype=np.int64))

    def scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """``take(rows) @ query`` to float rounding, without decoding the rows when the lists can be read in
        place (``ivfcodes``: ~1 µs a row on the calling thread instead of ~5 µs on every core)."""
        scorer = self._scorer.get()
        if scorer is None:
            return self.take(rows) @ np.asarray(query, dtype=np.float32)
        return scorer.scores(self._id(np.asarray(rows)), query)


def vector_rows(index, ids: np.ndarray | None = None):
    """The vectors of a loaded FAISS index without copying them: a numpy view (flat) or ``IndexRows``
    (``ids``: the index's id of each row, for an IVF index with tombstones; a flat one holds live rows only)."""
    import faiss

    if isinstance(index, faiss.IndexFlat) and ids is None:
        return flat_view(index)
    return IndexRows(index, ids)


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


def _write_vectors(path: Path, vectors: np.ndarray, dim: int, spec: dict | None = None, nlist: int = 0) -> None:
    """An inner-product FAISS index, flat or (``spec`` type 'ivf') IVF trained on a fixed sample, serialised
    here and written by Python (a full disk is then an OSError, not faiss's own stderr line)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if spec and spec.get("type") == "ivf" and len(vectors) >= 39 * max(nlist, 1):
        index = faiss.index_factory(dim, f"IVF{nlist},{spec.get('encoding', 'Flat')}", faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * nlist), replace=False)
        index.train(vectors[np.sort(sample)])
    else:  # exact, and the only choice for a handful of sentence vectors
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    with path.open("wb") as f:
        f.write(faiss.serialize_index(index).tobytes())


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


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link (an unchanged file of the previous index costs nothing), a copy where none can be made."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def file_checksums(folder: Path, under: str = "") -> tuple[tuple[str, int, str], ...]:
    """(relative path, size, sha256) of every file of an index folder but the manifest (or of its subfolder
    or file ``under`` only: a new segment, a rewritten file), sorted."""
    out = []
    root = folder / under if under else folder
    for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in (MANIFEST, MANIFEST + ".tmp") or rel.startswith(TOKENS + "/"):
            continue
        out.append((rel, path.stat().st_size, _sha256(path)))
    return tuple(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest_or_none(path: Path) -> str | None:
    try:
        return _sha256(path)
    except OSError:  # removed while we read it (a swap finishing): damaged for this read, retried
        return None


def _write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _aside(target: Path) -> Path:
    return target.with_name(target.name + ".old")


LEXICAL_FILES = frozenset({"data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "lexical.json",
                           "params.index.json", "vocab.index.json", "nonoccurrence_array.index.npy",
                           "tf.csc.index.npy", "lengths.index.npy"})


def is_index_folder(folder: Path, partial: bool = False) -> bool:
    """Whether ``folder`` is ours to replace: an empty folder, or one that holds a manifest or the vector
    and clause files of an index, and nothing but index files (``lexical/`` only bm25s's arrays). Never a
    file, a plans folder or anything else. ``partial``: a staging folder of ours that a kill left half
    written (its name is ours) may lack the manifest and the clause file."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    if not names:
        return True
    if not names <= INDEX_FILES:
        return False
    if not partial and not ({MANIFEST} & names or {"faiss.index", "clauses.jsonl"} <= names):
        return False
    tokens = folder / TOKENS
    if tokens.exists():
        if tokens.is_symlink() or not tokens.is_dir():
            return False
        if any(p.is_symlink() or not p.is_file() or not p.name.endswith(".npz") for p in tokens.iterdir()):
            return False
    segments = folder / SEGMENTS
    if segments.exists():
        if segments.is_symlink() or not segments.is_dir():
            return False
        for seg in segments.iterdir():
            if (seg.is_symlink() or not seg.is_dir() or not re.fullmatch("[0-9]{6}", seg.name)
                    or not {p.name for p in seg.iterdir()} <= SEGMENT_FILES or not _lexical_only(seg / "lexical")):
                return False
    return _lexical_only(folder / "lexical")


def _lexical_only(lexical: Path) -> bool:
    """A lexical folder (if any) holds nothing but BM25 files."""
    if lexical.exists():
        if lexical.is_symlink() or not lexical.is_dir():
            return False
        if any(p.is_dir() or p.name not in LEXICAL_FILES for p in lexical.iterdir()):
            return False
    return True


def check_index_target(index_dir: Path, data_dir: Path | None = None) -> None:
    """Refuse to build into a folder that is not an index of this tool (UnsafePath). The check runs before
    anything is written, so a wrong ``--index`` can never move or delete a user's files."""
    index_dir = Path(index_dir)
    try:
        where = index_dir.resolve()
        data = Path(data_dir).resolve() if data_dir is not None else None
    except (RuntimeError, OSError) as err:  # a link that loops
        raise UnsafePath(f"{index_dir} or {data_dir} cannot be resolved ({err}); choose another folder") from None
    if data is not None:
        if where == data or where.is_relative_to(data):
            raise UnsafePath(f"the index folder {index_dir} is inside the plans folder {data_dir}; choose another --index")
        if data.is_relative_to(where):
            raise UnsafePath(f"the plans folder {data_dir} is inside the index folder {index_dir}; choose another --index")
    for folder in (index_dir, _aside(index_dir)):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise UnsafePath(f"{folder} exists and is not a folder; choose another --index")
        if folder.exists() and not is_index_folder(folder):
            raise UnsafePath(
                f"{folder} holds files that are not a plan-search index; it will not be replaced "
                "(choose an empty or new folder for --index)"
            )


def swap_in(new: Path, target: Path) -> None:
    """Put a complete index in place of the old one (called under ``build_lock``). If we die between the
    two renames, the old one is still there under ``<target>.old``: readers use it, and the next build
    (``recover``) puts it back."""
    old = _aside(target)
    check_index_target(target)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """Finish what a killed swap left (called under ``build_lock`` only; reading never repairs)."""
    old = _aside(target)
    if not (target / MANIFEST).exists() and (old / MANIFEST).exists() and is_index_folder(old):
        if target.exists():
            if not is_index_folder(target):
                return
            shutil.rmtree(target)
        os.replace(old, target)


def staging_dir(target: Path) -> Path:
    return target.with_name(f".{target.name}.building-{os.getpid()}-{int(time.time() * 1000)}")


def clean_stale_staging(target: Path) -> None:
    """Remove staging folders left by builds that were killed (never the live index)."""
    for stale in target.parent.glob(f".{target.name}.building-*"):
        if is_index_folder(stale, partial=True):
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """One build at a time per index folder (the CLI and the app's upload may both try)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as f:  # "a": a planted link is never truncated
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- reading -------------------------------------------------------------------------------------------


def _live_folder(folder: Path) -> Path:
    """The folder to read: the index, or, while a swap is between its two renames (or was killed
    there), the previous index beside it. Reading never moves anything."""
    if not (folder / MANIFEST).exists() and (_aside(folder) / MANIFEST).exists():
        return _aside(folder)
    return folder


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the index at ``folder``: IndexNotFound when there is none, IndexDamaged when it
    cannot be read, IndexMismatch when this program cannot read its format."""
    folder = Path(folder)
    path = _live_folder(folder) / MANIFEST
    if not path.exists():
        raise IndexNotFound(f"no index at {folder}: build it with `python -m indexer build`")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as err:  # unreadable, not UTF-8, not JSON, absurdly nested
        raise IndexDamaged(f"the index manifest at {path} is unreadable ({err}); rebuild the index") from err
    if not isinstance(data, dict):
        raise IndexDamaged(f"the index manifest at {path} is not a JSON object; rebuild the index")
    manifest = Manifest.from_json(data)
    if manifest.tombstones and manifest.format_version < TOMBSTONE_FORMAT:
        raise IndexDamaged(f"the index manifest at {path} lists tombstones under format {manifest.format_version}; "
                           "rebuild the index")
    if manifest.format_version not in READABLE_FORMATS:
        raise IndexMismatch(
            f"the index at {folder} has format {manifest.format_version}, this program reads "
            f"{' and '.join(map(str, READABLE_FORMATS))}; rebuild it"
        )
    return manifest


# Checksums verified in this process: (folder, manifest fingerprint). Sizes are checked on every load,
# hashes once per index version (the app reloads only when the manifest changes).
_VERIFIED: set[tuple[str, str]] = set()
# Files whose sha256 matched in this process, by what identifies their bytes on disk (device, inode, size,
# mtime) and the digest: a file an added segment carried over by hard link is not hashed again when the
# new index version loads (a write changes the mtime; the ctime cannot be used: linking changes it).
_VERIFIED_FILES: set[tuple] = set()


REQUIRED_FILES = frozenset({"faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "sentences.faiss",
                            "sentences.jsonl"})


def verify_files(folder: Path, manifest: Manifest, hashes: bool = True, again: bool = True) -> None:
    """IndexDamaged when a file of the index is missing, unlisted in the manifest, or differs in size (or
    sha256) from the manifest. ``again`` False: a file whose bytes this process hashed before (the same
    inode, unchanged since) is not hashed again."""
    problems = []
    required = REQUIRED_FILES | {f"{g.folder}/{name}" for g in manifest.segments for name in REQUIRED_FILES}
    unlisted = required - {rel for rel, _, _ in manifest.files}
    if unlisted:
        problems.append(f"the manifest lists no checksum for {', '.join(sorted(unlisted))}")
    for rel, size, digest in manifest.files:
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{rel} is missing")
            continue
        if st.st_size != size:
            problems.append(f"{rel} has {st.st_size} bytes, the manifest says {size}")
        elif hashes:
            seen = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, digest)
            if not again and seen in _VERIFIED_FILES:
                continue
            if _digest_or_none(path) != digest:
                problems.append(f"{rel} differs from its checksum")
            else:
                _VERIFIED_FILES.add(seen)
    if problems:
        raise IndexDamaged(f"the index at {folder} is damaged ({'; '.join(problems)}); rebuild it")


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


def _check_vectors(folder: Path, vectors) -> None:
    """Vectors are unit-length cosine vectors: NaN, infinities or huge values mean garbled bytes."""
    block = 65536
    for start in range(0, vectors.ntotal, block):
        part = vectors.reconstruct_n(start, min(block, vectors.ntotal - start))
        if not np.isfinite(part).all() or (np.einsum("ij,ij->i", part, part) > 1.02).any():
            raise IndexDamaged(f"the index at {folder} holds vectors that are not unit-length numbers; rebuild it")


def _prepare(index, manifest: Manifest):
    """An index read from disk, ready to search: IVF gets its probe count and a map from rows to
    entries (so single rows can be decoded)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
        index.nprobe = int(manifest.vector_index.get("nprobe", ANN_NPROBE))
    return index


def _state(folder: Path) -> tuple:
    """What identifies the index version on disk right now (changes when a build swaps one in)."""
    out = []
    for path in (folder / MANIFEST, _aside(folder) / MANIFEST):
        try:
            st = path.stat()
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


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


def _read_faiss(path: Path):
    """A FAISS index whose vectors stay in the file, memory-mapped (flat codes and IVF lists alike): the
    vectors are the bulk of a large index, and the pages a query touches are the page cache's, shared
    and reclaimable, not the process's own memory."""
    import faiss

    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)


def _read_sentences(path: Path, index) -> SentenceVectors:
    """sentences.jsonl as arrays: rows (int32), spans ((n, 2) int32) and keys (``Strings``)."""
    rows: list[int] = []
    spans: list[int] = []
    keys: list[str] = []
    with path.open("rb") as f:
        for line in f:
            r = json.loads(line)
            rows.append(r["row"])
            spans.extend(r["span"][:2])
            keys.append(str(r["key"]))
    return SentenceVectors(
        np.array(rows, dtype=np.int32),
        np.array(spans, dtype=np.int32).reshape(-1, 2),
        Strings.of(keys),
        vector_rows(index),  # one copy: the index's own storage
        index,
    )
