"""The vectors of an index: its FAISS files, the sentence vectors, and views of the vectors without a copy.

FAISS files are written flat (exact) or IVF, as the manifest's ``vector_index`` says (``_write_vectors``),
read memory-mapped (``_read_faiss``; the sentence table beside them: ``_read_sentences``), readied for
search (``_prepare``) and checked (``_check_vectors``). The vectors of a loaded index are a read-only view
of FAISS's own storage (``flat_view``) or the rows of an IVF index decoded one at a time (``IndexRows``);
``vector_rows`` picks. faiss is imported inside the functions that use it, so importing this stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexDamaged
from .manifest import ANN_NPROBE, Manifest
from .rowtable import Strings, row_index


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
