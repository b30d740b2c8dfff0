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
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

from indexer.bodies import department_forms
from indexer.lexical import search_text  # noqa: F401 - re-exported: the searcher's fast search form
from indexer.numbering import match_number
from indexer.records import Clause, Document
from indexer.regions import prefecture_of
from indexer.textnorm import to_simplified

from .query import canonical_scheme, scheme_fits

_AFTER_ANY_LABEL = "\U0010ffff"  # sorts after every heading label: the end of a prefix's range


def _fields(clauses):
    """(doc_id, region, kind, span start, department names, section path) of each clause: read off the
    JSON records of a lazily read table (no Clause objects made), or off Clause objects."""
    records = getattr(clauses, "records", None)
    if records is None:
        for c in clauses:
            yield c.doc_id, c.region, c.kind, c.span[0], c.departments.all, c.section_path
        return
    for r in records():
        deps = r.get("departments") or {}
        names = tuple(deps.get("lead", ())) + tuple(deps.get("support", ()))
        yield r["doc_id"], r["region"], r.get("kind", "clause"), r["span"][0], names, tuple(r["section_path"])


class _PathNumbers:
    """Number paths ((scheme, value) per heading label) of section paths, each distinct one an id."""

    def __init__(self):
        self.labels: dict[str, tuple[str, int]] = {}
        self.ids: dict[tuple[tuple[str, int], ...], int] = {}

    def path_id(self, section_path) -> int:
        nums = []
        for label in section_path:
            num = self.labels.get(label)
            if num is None:
                m = match_number(label)
                num = self.labels[label] = (m.scheme, m.value) if m else ("", 0)
            nums.append(num)
        return self.ids.setdefault(tuple(nums), len(self.ids))


def _groups(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of row numbers grouped by key: rows of key j are ``order[ptr[j]:ptr[j + 1]]`` (ascending)."""
    order = np.argsort(keys, kind="stable").astype(np.int32)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_keys), out=ptr[1:])
    return order, ptr


class Columns:
    """Integer columns over the rows of an index and inverted lists for filters and section references."""

    def __init__(self, clauses: Sequence[Clause], documents: Sequence[Document], ids: Sequence[str] | None = None):
        """From the arrays a lazily read table carries (``rows``, written by the build), else one pass over
        ``clauses``. ``ids``: the clause ids by row when the caller holds them already (``PlanIndex.ids``)."""
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

        self.names: dict[str, int] = {}  # region, province and level names -> code (one vocabulary)
        self.kinds: dict[str, int] = {}
        rows = getattr(clauses, "rows", None)
        if rows is not None:  # the arrays the build wrote (indexer.rowtable.RowColumns): no clause is parsed
            departments, paths, row_path = self._from_rows(rows, n)
        else:
            departments, paths, row_path = self._from_clauses(clauses, n)
        self.row_indicator = self.row_kind == self.kinds.get("indicator", -1)
        self.doc_region = np.array([self._code(d.region) for d in self.documents], dtype=np.int32)
        self.doc_province = np.array([self._code(d.province) for d in self.documents], dtype=np.int32)
        # a county's prefecture (吴江区 → 苏州市): filtering by the city keeps its districts' plans
        self.doc_prefecture = np.array(
            [self._code(prefecture_of(d.region, d.region_level, d.province, d.title)) for d in self.documents], dtype=np.int32
        )
        self.doc_level = np.array([self._code(d.region_level) for d in self.documents], dtype=np.int32)
        self.department_names = sorted(departments)
        self._department_rows = [np.asarray(departments[name], dtype=np.int32) for name in self.department_names]
        # each name in simplified script: 省市場監管局 is 省市场监管局 to a filter
        self._department_simple = [to_simplified(name) for name in self.department_names]
        for rows in self._department_rows:
            rows.flags.writeable = False  # handed out as they are (department_rows)
        self.doc_types: dict[str, np.ndarray] = {}
        for i, d in enumerate(self.documents):
            self.doc_types.setdefault(d.doc_type, np.zeros(len(self.documents), dtype=bool))[i] = True
        self._index_windows(paths, row_path)
        self._clauses = clauses
        self._prefix_lock = threading.Lock()
        self._prefixes: tuple[list[tuple[str, ...]], np.ndarray, np.ndarray] | None = None

    def _code(self, name: str) -> int:
        return self.names.setdefault(name, len(self.names))

    def _from_clauses(self, clauses, n: int):
        """Row columns by one pass over the clauses (an index without rows.npz, or clauses in memory)."""
        doc_pos = self.doc_pos
        self.row_doc = np.empty(n, dtype=np.int32)
        self.row_region = np.empty(n, dtype=np.int32)
        self.row_kind = np.empty(n, dtype=np.int32)
        self.row_span_start = np.empty(n, dtype=np.int64)
        self.row_has_departments = np.zeros(n, dtype=bool)
        departments: dict[str, list[int]] = {}
        numbers = _PathNumbers()
        row_path = np.empty(n, dtype=np.int32)
        for i, (doc_id, region, kind, span_start, names, section_path) in enumerate(_fields(clauses)):
            self.row_doc[i] = doc_pos[doc_id]
            self.row_region[i] = self._code(region)
            self.row_kind[i] = self.kinds.setdefault(kind, len(self.kinds))
            self.row_span_start[i] = span_start
            if names:
                self.row_has_departments[i] = True
                for name in set(names):
                    departments.setdefault(name, []).append(i)
            row_path[i] = numbers.path_id(section_path)
        return departments, list(numbers.ids), row_path

    def _from_rows(self, rows, n: int):
        """Row columns from the build's arrays: codes remapped through their small vocabularies."""
        self.row_doc = rows.doc.astype(np.int32, copy=False)
        region_codes = np.array([self._code(r) for r in rows.regions.tolist()], dtype=np.int32)
        self.row_region = region_codes[rows.region] if n else np.zeros(0, dtype=np.int32)
        for kind in rows.kinds.tolist():
            self.kinds.setdefault(kind, len(self.kinds))
        self.row_kind = rows.kind.astype(np.int32, copy=False)
        self.row_span_start = rows.span_start.astype(np.int64, copy=False)
        counts = np.diff(rows.dep_ptr)
        self.row_has_departments = counts > 0
        # (department, row) pairs, each once, grouped by department with rows ascending
        owner = np.repeat(np.arange(n, dtype=np.int64), counts)
        pairs = np.unique(rows.dep.astype(np.int64) * max(n, 1) + owner)
        dep_of, row_of = pairs // max(n, 1), (pairs % max(n, 1)).astype(np.int32)
        bounds = np.searchsorted(dep_of, np.arange(len(rows.deps) + 1))
        departments = {
            name: row_of[bounds[j] : bounds[j + 1]]
            for j, name in enumerate(rows.deps.tolist())
            if bounds[j + 1] > bounds[j]
        }
        numbers = _PathNumbers()
        label_path_ids = np.array([numbers.path_id(p) for p in rows.section_paths()], dtype=np.int32)
        row_path = label_path_ids[rows.path] if n else np.zeros(0, dtype=np.int32)
        return departments, list(numbers.ids), row_path

    # --- document-level filters --------------------------------------------------------------------------

    def codes(self, names: Sequence[str]) -> list[int]:
        return [self.names[x] for x in names if x in self.names]

    def doc_allowed(self, regions: Sequence[str], levels: Sequence[str], doc_ids: Sequence[str]) -> np.ndarray:
        """Documents that pass region (the document's region, its prefecture or its province), level and id
        filters."""
        allowed = np.ones(len(self.documents), dtype=bool)
        if regions:
            codes = self.codes(regions)
            allowed &= np.isin(self.doc_region, codes) | np.isin(self.doc_province, codes) | np.isin(self.doc_prefecture, codes)
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
        """Rows with a responsible department whose name contains ``words``, in any of its forms (scans
        distinct names only)."""
        forms = department_forms(to_simplified(words))  # 省人社厅 finds 省人力资源社会保障厅 too
        parts = [rows for name, rows in zip(self._department_simple, self._department_rows, strict=True)
                 if any(f in name for f in forms)]
        if len(parts) == 1:
            return parts[0]  # one name's rows are ascending and distinct already
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
                rows = getattr(self._clauses, "rows", None)
                if rows is not None:
                    distinct = {p: i for i, p in enumerate(rows.section_paths())}
                    keys = rows.path.astype(np.int64)
                else:
                    keys = np.fromiter(
                        (distinct.setdefault(f[5], len(distinct)) for f in _fields(self._clauses)), np.int64, self.n
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
                    scheme_fits(s, w) for (s, _), (w, _) in zip(ref_numbers, window, strict=True)
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
