"""Scores of chosen rows of an IVF index, read from its lists in place.

    scorer = row_scorer(index)            # None unless the index is one this module can read
    scores = scorer.scores(rows, query)   # query · vector of each row, as reconstruct(rows) @ query

A filter that keeps a few thousand rows of a large index is scored exactly over those rows. FAISS's
``reconstruct_batch`` decodes an IVF row in ~4–6 µs here (a scalar float16 decode per row and a
scratch vector per call; above 1,000 rows it spreads over OpenMP threads, so its CPU time exceeds its
wall time), and numpy widens float16 at ~3.5 ns a value: ~120 ms of CPU for the ~8,500 clauses and
~15,000 sentence vectors of one department at 10^6. Here the rows' codes are copied out of the lists
(one numpy gather through a view of the lists' memory, no decoding) and FAISS's own list scanner — the
SIMD code an IVF search runs — scores them on the calling thread, the centroid's share added as an IVF
search adds it (its coarse distance): the same scores as decoding and multiplying, to float rounding
(~1e-7), in ~0.6 µs a row (5 ms for 8,500 rows at 10^6), most of it the scattered reads.

Readable: an ``IndexIVFScalarQuantizer`` (``vectors._write_vectors`` writes float16 codes above the ANN
threshold) or an ``IndexIVFFlat`` (indexes written before), inner product, a direct map of the array kind
(``vectors._prepare``), and lists held as ``ArrayInvertedLists`` — read memory-mapped or built in memory
— or a ``HStackInvertedLists`` of such lists whose parts ``segments.stack_vectors`` named in a
``StackedLists`` among the index's ``referenced_objects`` (SWIG does not show a stack's parts). Anything
else gets None and is decoded by FAISS as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

_LOW = 0xFFFFFFFF  # a direct-map entry is list_no << 32 | offset in the list


@dataclass(frozen=True, slots=True)
class StackedLists:
    """The inverted lists a ``HStackInvertedLists`` stacks, in order."""

    parts: tuple


class _Part:
    """One ``ArrayInvertedLists``: where each list's codes start, in a byte view over all of them."""

    def __init__(self, invlists, nlist: int, code_size: int, first: np.ndarray):
        import faiss

        self.first = first  # per list: the offset in the (stacked) list where this part's entries begin
        self.size = np.array([invlists.list_size(lst) for lst in range(nlist)], dtype=np.int64)
        address = np.zeros(nlist, dtype=np.int64)
        for lst in np.flatnonzero(self.size).tolist():
            address[lst] = faiss.rev_swig_ptr(invlists.get_codes(lst), 1).ctypes.data
        used = self.size > 0
        if not used.any():
            self.start = address
            self.codes = np.zeros((0, code_size), dtype=np.uint8)
            return
        low = int(address[used].min())
        span = int((address[used] + self.size[used] * code_size).max()) - low
        self.start = np.where(used, address - low, 0)
        # A read-only view whose row i is the code_size bytes at byte i: a row's code is one fancy-index
        # row away. Only bytes inside the lists are ever read (between lists lie their ids, or nothing).
        raw = faiss.rev_swig_ptr(faiss.cast_integer_to_uint8_ptr(low), span)
        self.codes = np.lib.stride_tricks.as_strided(raw, shape=(span - code_size + 1, code_size), strides=(1, 1),
                                                     writeable=False)


class RowScorer:
    """Exact inner products of chosen rows of an IVF index with a query (see the module docstring)."""

    def __init__(self, index, parts: list):
        import faiss

        from .vectors import flat_view

        self.index = index  # keeps the lists (and the views into them) alive
        self.ntotal = index.ntotal
        dm = index.direct_map.array
        self.entries = faiss.rev_swig_ptr(dm.data(), dm.size()).view(np.int64)
        nlist, code_size = index.nlist, index.code_size
        self.code_size = code_size
        self._lock = threading.Lock()
        self._scanners: list = []
        quantizer = faiss.downcast_index(index.quantizer)
        self.centroids = flat_view(quantizer) if isinstance(quantizer, faiss.IndexFlat) else None
        self.parts = []
        first = np.zeros(nlist, dtype=np.int64)
        for invlists in parts:
            part = _Part(invlists, nlist, code_size, first)
            self.parts.append(part)
            first = first + part.size

    def scores(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """float32 query · vector of each row (``rows``: ids of the index, any order, repeats allowed)."""
        import faiss

        if self.index.ntotal != self.ntotal:
            raise RuntimeError("the index changed after its row scorer was made")
        rows = np.asarray(rows, dtype=np.int64)
        n = len(rows)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        entry = self.entries[rows]
        lists, offsets = entry >> 32, entry & _LOW
        codes = self._codes(lists, offsets)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        index = self.index
        # A range scan above -inf keeps every code, in scan order, without a heap (3x faster than a heap of
        # n); the ids are the positions.
        result = faiss.RangeSearchResult(1)
        partial = faiss.RangeSearchPartialResult(result)
        positions = np.arange(n, dtype=np.int64)
        scanner = self._scanner()
        try:
            scanner.set_query(faiss.swig_ptr(q))
            scanner.set_list(0, 0.0)  # the residual's share alone: the centroids' are added below
            scanner.scan_codes_range(n, faiss.swig_ptr(codes), faiss.swig_ptr(positions), -np.inf,
                                     partial.new_result(0))
        finally:
            with self._lock:
                self._scanners.append(scanner)
        partial.finalize()
        if int(faiss.rev_swig_ptr(result.lims, 2)[1]) != n:
            raise RuntimeError("the list scanner did not score every code")
        out = np.empty(n, dtype=np.float32)
        out[faiss.rev_swig_ptr(result.labels, n)] = faiss.rev_swig_ptr(result.distances, n)
        if index.by_residual:  # plus q · the row's centroid, the coarse distance an IVF search adds
            out += self._coarse(q, lists)
        return out

    def _coarse(self, q: np.ndarray, lists: np.ndarray) -> np.ndarray:
        """q · the centroid of each of ``lists``: from a flat quantizer's own storage for the lists wanted
        (a few hundred for an unfiltered query's candidates), else by searching the quantizer for all."""
        if self.centroids is not None:
            if 4 * len(lists) < len(self.centroids):
                return np.einsum("ij,j->i", self.centroids[lists], q)
            return np.einsum("ij,j->i", self.centroids, q)[lists]  # einsum: no BLAS threads for a matvec
        distances, ids = self.index.quantizer.search(q.reshape(1, -1), self.index.nlist)
        coarse = np.empty(self.index.nlist, dtype=np.float32)
        coarse[ids[0]] = distances[0]
        return coarse[lists]

    def _scanner(self):
        """A list scanner of the index, one per concurrent caller, kept for the next: SWIG has no destructor
        for FAISS's scanners, so one made per call would leak (~100 bytes) and warn when collected."""
        with self._lock:
            if self._scanners:
                return self._scanners.pop()
        return self.index.get_InvertedListScanner(False, None, None)

    def _codes(self, lists: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """The rows' codes, contiguous (n, code_size) bytes."""
        if len(self.parts) == 1:
            part = self.parts[0]
            return part.codes[part.start[lists] + offsets * self.code_size]
        codes = np.empty((len(lists), self.code_size), dtype=np.uint8)
        for part in self.parts:
            inside = offsets - part.first[lists]
            mine = (inside >= 0) & (inside < part.size[lists])
            if mine.any():
                where = lists[mine]
                codes[mine] = part.codes[part.start[where] + inside[mine] * self.code_size]
        return codes


def row_scorer(index) -> RowScorer | None:
    """A ``RowScorer`` for ``index``, or None when its kind is not one this module reads."""
    import faiss

    if not isinstance(index, faiss.IndexIVFScalarQuantizer | faiss.IndexIVFFlat):
        return None
    if (
        index.metric_type != faiss.METRIC_INNER_PRODUCT
        or index.direct_map.type != faiss.DirectMap.Array
        or index.direct_map.array.size() != index.ntotal
    ):
        return None
    invlists = faiss.downcast_InvertedLists(index.invlists)
    if isinstance(invlists, faiss.ArrayInvertedLists):
        parts = [invlists]
    elif isinstance(invlists, faiss.HStackInvertedLists):
        named = [o for o in getattr(index, "referenced_objects", ()) if isinstance(o, StackedLists)]
        parts = [faiss.downcast_InvertedLists(p) for p in named[0].parts] if named else []
    else:
        return None
    if not parts or not all(isinstance(p, faiss.ArrayInvertedLists) for p in parts):
        return None
    return RowScorer(index, parts)


class LazyScorer:
    """``row_scorer(index)`` made on first use (it walks every list once: ~10–30 ms at 10^6), once."""

    def __init__(self, index):
        self._index = index
        self._lock = threading.Lock()
        self._made = False
        self._scorer: RowScorer | None = None

    def get(self) -> RowScorer | None:
        if not self._made:
            with self._lock:
                if not self._made:
                    self._scorer = row_scorer(self._index)
                    self._made = True
        return self._scorer
