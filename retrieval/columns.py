"""Per-row columns of a loaded index, computed once when a searcher opens, so that no query walks the
clauses in Python: filters become numpy masks, section references dictionary look-ups.

    cols = Columns(index.clauses, [d.document for d in index.documents])
    mask = cols.doc_allowed(filters)[cols.row_doc]     # document-level filters, spread to rows
    rows = cols.department_rows("知识产权局")           # rows naming a department that contains the words
    rows = cols.section_rows(ref, candidates)          # what Searcher._match_ref would pick, via a dictionary

Every structure is an int32 array or a dictionary over *distinct* values (department names, number paths,
window keys), never a per-row Python list (the ids are the index's byte array), so a million clauses cost
tens of megabytes here.
"""

from __future__ import annotations

import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

from indexer.numbering import match_number
from indexer.records import Clause, Document
from indexer.textnorm import _ASCII_LOWER, _nfkc_char, _t2s_with_map, search_form

# The numbering schemes that count as the same when a reference is matched (1. and 1、 are one scheme).
EQUIVALENT_SCHEMES = {"n.": "n.", "n、": "n.", "（n）": "（n）", "cn、": "cn、", "（cn）": "（cn）"}
_AFTER_ANY_LABEL = "\U0010ffff"  # sorts after every heading label: the end of a prefix's range


def canonical_scheme(scheme: str) -> str:
    return EQUIVALENT_SCHEMES.get(scheme, scheme)


_NFKC: dict[int, str] = {}  # code point -> its NFKC form, filled as characters are met
_PLAIN: set[str] = set()  # characters met that are not combining marks (their NFKC is in _NFKC)


def search_text(text: str) -> str:
    """``search_form(text).text`` without the offset maps, ~10x faster: with no combining mark in the
    text, NFKC by clusters is NFKC character by character, which ``str.translate`` does in C. A text with
    combining marks takes ``search_form`` itself."""
    new = set(text) - _PLAIN
    if new:
        if any(unicodedata.combining(ch) for ch in new):
            return search_form(text).text
        for ch in new:
            _NFKC[ord(ch)] = _nfkc_char(ch)
        _PLAIN.update(new)
    return _t2s_with_map(text.translate(_NFKC))[0].translate(_ASCII_LOWER)


def _groups(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of row numbers grouped by key: rows of key j are ``order[ptr[j]:ptr[j + 1]]`` (ascending)."""
    order = np.argsort(keys, kind="stable").astype(np.int32)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_keys), out=ptr[1:])
    return order, ptr


class Columns:
    """Integer columns over the rows of an index and inverted lists for filters and section references."""

    def __init__(self, clauses: Sequence[Clause], documents: Sequence[Document], ids: Sequence[str] | None = None):
        """One pass over ``clauses`` (a lazily read table is read once, in order). ``ids``: the clause ids
        by row when the caller holds them already (``PlanIndex.ids``)."""
        n = len(clauses)
        self.n = n
        self.ids = ids if ids is not None else [c.clause_id for c in clauses]
        self.documents = list(documents)
        doc_pos = {d.doc_id: i for i, d in enumerate(self.documents)}
        self.doc_pos = doc_pos
        # Documents sorted by id: section references come back in (doc_id, span) order.
        by_id = sorted(range(len(self.documents)), key=lambda i: self.documents[i].doc_id)
        self.doc_id_rank = np.empty(len(self.documents), dtype=np.int32)
        self.doc_id_rank[by_id] = np.arange(len(by_id), dtype=np.int32)

        self.row_doc = np.empty(n, dtype=np.int32)
        self.row_region = np.empty(n, dtype=np.int32)
        self.row_kind = np.empty(n, dtype=np.int32)
        self.row_span_start = np.empty(n, dtype=np.int64)
        self.row_has_departments = np.zeros(n, dtype=bool)
        self.names: dict[str, int] = {}  # region, province and level names -> code (one vocabulary)
        self.kinds: dict[str, int] = {}
        departments: dict[str, list[int]] = {}
        label_numbers: dict[str, tuple[str, int]] = {}
        path_ids: dict[tuple[tuple[str, int], ...], int] = {}
        row_path = np.empty(n, dtype=np.int32)
        for i, c in enumerate(clauses):
            self.row_doc[i] = doc_pos[c.doc_id]
            self.row_region[i] = self._code(c.region)
            self.row_kind[i] = self.kinds.setdefault(c.kind, len(self.kinds))
            self.row_span_start[i] = c.span[0]
            names = c.departments.all
            if names:
                self.row_has_departments[i] = True
                for name in set(names):
                    departments.setdefault(name, []).append(i)
            nums = []
            for label in c.section_path:
                num = label_numbers.get(label)
                if num is None:
                    m = match_number(label)
                    num = label_numbers[label] = (m.scheme, m.value) if m else ("", 0)
                nums.append(num)
            row_path[i] = path_ids.setdefault(tuple(nums), len(path_ids))
        self.row_indicator = self.row_kind == self.kinds.get("indicator", -1)
        self.doc_region = np.array([self._code(d.region) for d in self.documents], dtype=np.int32)
        self.doc_province = np.array([self._code(d.province) for d in self.documents], dtype=np.int32)
        self.doc_level = np.array([self._code(d.region_level) for d in self.documents], dtype=np.int32)
        self.department_names = sorted(departments)
        self._department_rows = [np.array(departments[name], dtype=np.int32) for name in self.department_names]
        self.doc_types: dict[str, np.ndarray] = {}
        for i, d in enumerate(self.documents):
            self.doc_types.setdefault(d.doc_type, np.zeros(len(self.documents), dtype=bool))[i] = True
        self._index_windows(list(path_ids), row_path)
        self._clauses = clauses
        self._prefix_lock = threading.Lock()
        self._prefixes: tuple[list[tuple[str, ...]], np.ndarray, np.ndarray] | None = None

    def _code(self, name: str) -> int:
        return self.names.setdefault(name, len(self.names))

    # --- document-level filters --------------------------------------------------------------------------

    def codes(self, names: Sequence[str]) -> list[int]:
        return [self.names[x] for x in names if x in self.names]

    def doc_allowed(self, regions: Sequence[str], levels: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """Documents that pass region (the document's region or its province), level and id filters."""
        allowed = np.ones(len(self.documents), dtype=bool)
        if regions:
            codes = self.codes(regions)
            allowed &= np.isin(self.doc_region, codes) | np.isin(self.doc_province, codes)
        if levels:
            allowed &= np.isin(self.doc_level, self.codes(levels))
        if doc_ids:
            picked = np.zeros(len(self.documents), dtype=bool)
            picked[[self.doc_pos[d] for d in doc_ids if d in self.doc_pos]] = True
            allowed &= picked
        return allowed

    def doc_type_preferred(self, matches) -> np.ndarray:
        """Documents whose type ``matches(doc_type)`` accepts (tested once per distinct type)."""
        out = np.zeros(len(self.documents), dtype=bool)
        for doc_type, docs in self.doc_types.items():
            if matches(doc_type):
                out |= docs
        return out

    # --- row-level filters ---------------------------------------------------------------------------------

    def department_rows(self, words: str) -> np.ndarray:
        """Rows with a responsible department whose name contains ``words`` (scans distinct names only)."""
        parts = [rows for name, rows in zip(self.department_names, self._department_rows, strict=True) if words in name]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int32)

    def prefix_rows(self, prefix: tuple[str, ...]) -> np.ndarray:
        """Rows whose section path starts with ``prefix``: one contiguous range of the sorted distinct paths."""
        paths, order, ptr = self._prefix_table()
        lo = bisect_left(paths, prefix)
        hi = bisect_left(paths, (*prefix, _AFTER_ANY_LABEL))
        return order[ptr[lo] : ptr[hi]]

    def _prefix_table(self):
        with self._prefix_lock:  # built on first use: no page of the app filters by section prefix today
            if self._prefixes is None:
                distinct: dict[tuple[str, ...], int] = {}
                keys = np.fromiter(
                    (distinct.setdefault(c.section_path, len(distinct)) for c in self._clauses), np.int64, self.n
                )
                paths = sorted(distinct)
                rank = np.empty(len(paths), dtype=np.int64)
                rank[[distinct[p] for p in paths]] = np.arange(len(paths))
                order, ptr = _groups(rank[keys] if self.n else keys, len(paths))
                self._prefixes = (paths, order, ptr)
            return self._prefixes

    # --- section references --------------------------------------------------------------------------------

    def _index_windows(self, paths: list[tuple[tuple[str, int], ...]], row_path: np.ndarray) -> None:
        """Every contiguous window of every distinct number path, keyed by (from the root?, canonical
        numbers), with its rows as CSR; and values -> keys, for references whose scheme is '*'."""
        self.paths = paths
        keys: dict[tuple[bool, tuple[tuple[str, int], ...]], int] = {}
        pair_key: list[int] = []
        pair_path: list[int] = []
        for pid, nums in enumerate(paths):
            canon = tuple((canonical_scheme(s), v) for s, v in nums)
            mine = set()
            for start in range(len(canon)):
                for end in range(start + 1, len(canon) + 1):
                    window = canon[start:end]
                    mine.add(keys.setdefault((False, window), len(keys)))
                    if start == 0:
                        mine.add(keys.setdefault((True, window), len(keys)))
            pair_key.extend(mine)
            pair_path.extend([pid] * len(mine))
        self.window_keys = list(keys)
        self.by_values: dict[tuple[bool, tuple[int, ...]], list[int]] = {}
        for kid, (root, window) in enumerate(self.window_keys):
            self.by_values.setdefault((root, tuple(v for _, v in window)), []).append(kid)
        # Expand (key, path) pairs to (key, row) via the rows of each path.
        path_order, path_ptr = _groups(row_path, len(paths))
        pk = np.array(pair_key, dtype=np.int64)
        pp = np.array(pair_path, dtype=np.int64)
        sort = np.argsort(pk, kind="stable")
        pk, pp = pk[sort], pp[sort]
        counts = path_ptr[pp + 1] - path_ptr[pp]
        total = int(counts.sum())
        starts = np.repeat(path_ptr[pp], counts)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        self._window_rows = path_order[starts + offsets] if total else np.zeros(0, dtype=np.int32)
        self._window_ptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(pk, weights=counts, minlength=len(keys)).astype(np.int64), out=self._window_ptr[1:])
        self.row_path = row_path

    def section_rows(self, ref_numbers: tuple[tuple[str, int], ...], candidates: np.ndarray) -> np.ndarray:
        """The rows ``Searcher._match_rows`` picks among ``candidates`` (a boolean mask): those whose path
        matches the reference from the root (score 2L + 1) if any is a candidate, else those matching a
        contiguous window anywhere (2L); unsorted, unique."""
        if not ref_numbers:  # an empty window matches every path from the root
            return np.flatnonzero(candidates)
        values = tuple(v for _, v in ref_numbers)
        for root in (True, False):
            parts = []
            for kid in self.by_values.get((root, values), ()):
                window = self.window_keys[kid][1]
                if all(
                    s == "*" or canonical_scheme(s) == w for (s, _), (w, _) in zip(ref_numbers, window, strict=True)
                ):
                    parts.append(self._window_rows[self._window_ptr[kid] : self._window_ptr[kid + 1]])
            if parts:
                rows = np.unique(np.concatenate(parts))
                rows = rows[candidates[rows]]
                if len(rows):
                    return rows
        return np.zeros(0, dtype=np.int32)

    def in_document_order(self, rows: np.ndarray) -> np.ndarray:
        """Rows sorted by (doc_id, span start): the order resolved section references are shown in."""
        return rows[np.lexsort((self.row_span_start[rows], self.doc_id_rank[self.row_doc[rows]]))]
