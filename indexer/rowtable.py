"""The clause table of a loaded index, read by row: ``clauses.jsonl`` stays on disk and a query parses only
the clauses it shows. ``rows.npz`` (``RowColumns``, written by the build) holds what a searcher needs of
every row as arrays (line offsets, ids, embed keys, document, region, kind, span, section path,
departments); an index without it is scanned once for offsets, ids and keys. Ids are one byte array
(``Strings``), found by binary search.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .records import Clause

ROWS = "rows.npz"  # per-row columns of clauses.jsonl (RowColumns): optional, an index without it is scanned


class Strings(Sequence):
    """Many short strings as one numpy byte array (UTF-8, ``S`` dtype): ~the bytes themselves, no Python
    object per string. ``strings[i]`` is a ``str``; ``position(s)`` finds one through a sorted order."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self._order: np.ndarray | None = None
        self._sorted_values: np.ndarray | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, strings) -> Strings:
        encoded = [s.encode("utf-8") for s in strings]
        return cls(np.array(encoded, dtype=f"S{max(map(len, encoded), default=1) or 1}"))

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self.values[i].decode("utf-8")

    def __iter__(self):
        for value in self.values:
            yield value.decode("utf-8")

    def position(self, s: str) -> int | None:
        """Row of the first occurrence of ``s`` (None when absent): a binary search, no dictionary."""
        key = s.encode("utf-8")
        if not len(self) or len(key) > self.values.dtype.itemsize or key.endswith(b"\0"):
            return None
        sorted_values = self._sorted()
        at = int(np.searchsorted(sorted_values, key))
        if at < len(self) and sorted_values[at] == key:
            return int(self._order[at])
        return None

    def _sorted(self) -> np.ndarray:
        with self._lock:  # built on first look-up, once (the app's sessions share one searcher)
            if self._order is None:
                self._order = np.argsort(self.values, kind="stable")
                self._sorted_values = self.values[self._order]
        return self._sorted_values


class RowColumns:
    """What a searcher needs of every clause, as arrays written beside clauses.jsonl (``rows.npz``), so
    that opening a large index parses no clause: line offsets, ids and embed keys, and per row the
    document, region, kind, span start, section path and departments (codes into small vocabularies)."""

    NAMES = ("starts", "ids", "keys", "doc", "region", "regions", "kind", "kinds", "span_start", "path",
             "paths", "dep_ptr", "dep", "deps")

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return len(self.arrays["doc"])

    @classmethod
    def of(cls, clauses, keys, starts: list[int], doc_ids: list[str]) -> RowColumns:
        doc_pos = {d: i for i, d in enumerate(doc_ids)}
        regions: dict[str, int] = {}
        kinds: dict[str, int] = {}
        paths: dict[tuple[str, ...], int] = {}
        deps: dict[str, int] = {}
        n = len(clauses)
        doc = np.empty(n, dtype=np.int32)
        region = np.empty(n, dtype=np.int32)
        kind = np.empty(n, dtype=np.int32)
        span_start = np.empty(n, dtype=np.int64)
        path = np.empty(n, dtype=np.int32)
        dep_ptr = np.zeros(n + 1, dtype=np.int64)
        dep: list[int] = []
        for i, c in enumerate(clauses):
            doc[i] = doc_pos[c.doc_id]
            region[i] = regions.setdefault(c.region, len(regions))
            kind[i] = kinds.setdefault(c.kind, len(kinds))
            span_start[i] = c.span[0]
            path[i] = paths.setdefault(c.section_path, len(paths))
            dep.extend(deps.setdefault(name, len(deps)) for name in c.departments.all)
            dep_ptr[i + 1] = len(dep)
        return cls({
            "starts": np.array(starts, dtype=np.int64),
            "ids": _bytes_array(c.clause_id for c in clauses),
            "keys": _bytes_array(keys),
            "doc": doc,
            "region": region,
            "regions": np.array(list(regions), dtype=str),
            "kind": kind,
            "kinds": np.array(list(kinds), dtype=str),
            "span_start": span_start,
            "path": path,
            # one JSON text: the distinct section paths are lists of labels of any length
            "paths": np.frombuffer(json.dumps(list(paths), ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
            "dep_ptr": dep_ptr,
            "dep": np.array(dep, dtype=np.int32),
            "deps": np.array(list(deps), dtype=str),
            # the documents' ids by position (``doc`` codes): a tombstone finds its document's rows here
            # (not in NAMES: a table written before lacks it, and ``load`` does not read it)
            "doc_ids": np.array(list(doc_ids), dtype=str),
        })

    def save(self, path: Path) -> None:
        with path.open("wb") as f:
            np.savez(f, **self.arrays)

    @classmethod
    def load(cls, path: Path, n_lines: int | None = None) -> RowColumns:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in cls.NAMES}
        rows = cls(arrays)
        n = len(rows)
        sizes = {"starts": n + 1, "ids": n, "keys": n, "region": n, "kind": n, "span_start": n, "path": n,
                 "dep_ptr": n + 1}
        if any(len(arrays[k]) != v for k, v in sizes.items()) or arrays["dep_ptr"][-1] != len(arrays["dep"]):
            raise ValueError(f"{path.name} has columns of different lengths")
        return rows

    def section_paths(self) -> list[tuple[str, ...]]:
        return [tuple(p) for p in json.loads(self.arrays["paths"].tobytes().decode("utf-8"))]


def _bytes_array(strings) -> np.ndarray:
    encoded = [s.encode("utf-8") for s in strings]
    return np.array(encoded, dtype=f"S{max(map(len, encoded), default=1) or 1}")


class ClauseTable(Sequence):
    """The clauses of an index read from ``clauses.jsonl`` when asked for (``table[i]``, iteration): the
    file stays on disk, the table holds one offset per line and the clause ids (``Strings``). A query
    materialises only the clauses it shows."""

    def __init__(self, path: Path, rows: RowColumns | None = None):
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)  # kept open: a swapped-out index stays readable until reloaded
        self.rows = rows
        # the clauses asked for lately, parsed (a comparison reads its candidates more than once)
        self._clause = functools.lru_cache(maxsize=4096)(self._parse)
        if rows is not None:  # written by the build: nothing to scan
            if int(rows.starts[-1]) != os.fstat(self._fd).st_size:
                raise ValueError(f"{ROWS} does not describe {path.name}")
            self._starts = rows.starts
            self.ids = Strings(rows.ids)
            self.embed_keys = Strings(rows.keys)
            return
        starts: list[np.ndarray] = []
        ids: list[bytes] = []
        keys: list[bytes] = []
        size = os.fstat(self._fd).st_size
        at = 0
        tail = b""
        block = 1 << 24
        while at < size:
            chunk = tail + os.pread(self._fd, min(block, size - at), at)
            base = at - len(tail)
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            begin = 0
            for end in ends.tolist():
                line = chunk[begin:end]
                if line.strip():
                    starts.append(base + begin)
                    ids.append(_field(line, b'"clause_id": "', "clause_id"))
                    keys.append(_field(line, b'"embed_key": "', "embed_key", last=True))
                begin = end + 1
            tail = chunk[begin:]
            at += min(block, size - at)
        if tail.strip():
            starts.append(size - len(tail))
            ids.append(_field(tail, b'"clause_id": "', "clause_id"))
            keys.append(_field(tail, b'"embed_key": "', "embed_key", last=True))
        self._starts = np.array(starts + [size], dtype=np.int64)
        self.ids = Strings(np.array(ids, dtype=f"S{max(map(len, ids), default=1) or 1}"))
        self.embed_keys = Strings(np.array(keys, dtype=f"S{max(map(len, keys), default=1) or 1}"))

    def __len__(self) -> int:
        return len(self._starts) - 1

    def line(self, i: int) -> dict:
        a, b = int(self._starts[i]), int(self._starts[i + 1])
        return json.loads(os.pread(self._fd, b - a, a))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        return self._clause(row_index(i, len(self)))

    def _parse(self, i: int) -> Clause:
        return Clause.from_json(self.line(i))

    def __iter__(self):
        """Every clause in order, read sequentially (a full pass: for builds and exports)."""
        for record in self.records():
            yield Clause.from_json(record)

    def records(self, start: int = 0, stop: int | None = None):
        """Every line (of rows ``start:stop``) as its JSON object, in order: one sequential pass, without
        making Clause objects (the columns of a searcher need a few fields of each). Read through the
        descriptor opened with the table, never the path: a build may have swapped another index in under
        that name, and this table must go on reading its own."""
        starts = self._starts
        block = 1 << 22
        i, n = start, len(self) if stop is None else stop
        while i < n:
            j = min(n, int(np.searchsorted(starts, starts[i] + block, side="right")) - 1)
            j = max(j, i + 1)
            a = int(starts[i])
            chunk = os.pread(self._fd, int(starts[j]) - a, a)
            for k in range(i, j):
                yield json.loads(chunk[int(starts[k]) - a : int(starts[k + 1]) - a].decode("utf-8"))
            i = j

    def __eq__(self, other) -> bool:
        """Equal to any sequence of the same clauses (a tuple of them, another table)."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # a table is compared by content, like the tuple it replaces

    def __del__(self):
        with contextlib.suppress(Exception):
            os.close(self._fd)


def _field(line: bytes, marker: bytes, name: str, last: bool = False) -> bytes:
    """A string field of a clauses.jsonl line without parsing the line (ids and keys are plain ASCII or
    UTF-8 with nothing to unescape); a line where that does not hold is parsed."""
    at = line.rfind(marker) if last else line.find(marker)
    if at >= 0:
        start = at + len(marker)
        end = line.find(b'"', start)
        value = line[start:end]
        if end > 0 and b"\\" not in value:
            return value
    value = json.loads(line).get(name, "")
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value.encode("utf-8")


def positions(rows: np.ndarray, n: int) -> np.ndarray:
    """The inverse of a selection of rows: for each of ``n`` rows its position in ``rows``, -1 where it is
    not there (the live row of each physical row of an index with tombstones)."""
    out = np.full(n, -1, dtype=np.int64)
    out[rows] = np.arange(len(rows))
    return out


def row_index(i: int, n: int) -> int:
    """``i`` as a row of a table of ``n`` rows (negative counts from the end); IndexError outside it."""
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(f"clause row {i} out of range")
    return i
