"""Delta segments: adding a plan costs the plan, not the index.

An index is its base (the files at the top of its folder) and, in order, the segments a build added since
(``segments/NNNNNN/``, listed in the manifest): each holds the clauses, documents, indicators, token
postings and vectors of the plans added then, in the base's own file formats, its vectors in flat FAISS
files. Rows continue: a segment's first clause is the row after the last one before it.

- Appending (``append_segment``) hard-links every file of the live index into the staging folder, writes
  the new segment's files beside them, and writes a manifest that carries the old files' sha256 over and
  hashes only the new ones: nothing of the base is read, trained, rewritten or hashed again.
- Loading (``join_parts``) reads each part and joins them into the one row space every reader already
  knows: clause tables side by side (``ClauseParts``), their row columns concatenated, the vectors of the
  segments added to the base's FAISS index in memory (a flat base: one flat index; an IVF base: the
  segments' vectors encoded into its trained lists, as ``index.add`` would, the base's lists staying
  memory-mapped), and BM25 scored over all postings with corpus-wide statistics (``postings``).
- Exactness: BM25 is the from-scratch score bit for bit; dense scores are the same vectors (a flat base:
  exact search over all; an IVF base: the base's training, until compaction retrains).
- Compaction: a build that changes or removes a plan, changes a setting, is asked to (``build --compact``),
  or whose segments would pass ``COMPACT_SHARE`` of the base's clauses (or move a flat index past the
  ANN threshold) writes one base from scratch, as every build did before.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .rowtable import ClauseTable, RowColumns, Strings, row_index

COMPACT_SHARE = 0.10  # segments past this share of the base's clauses are merged into a new base


class ClauseParts(Sequence):
    """The clause tables of the base and its segments as one table (``ClauseTable``'s interface): rows in
    order, ids, embed keys and row columns joined."""

    def __init__(self, tables: Sequence[ClauseTable], doc_counts: Sequence[int]):
        self.tables = tuple(tables)
        self._bounds = np.cumsum([0] + [len(t) for t in self.tables]).tolist()
        self.ids = Strings(_concat_bytes([t.ids.values for t in self.tables]))
        self.embed_keys = Strings(_concat_bytes([t.embed_keys.values for t in self.tables]))
        offsets = np.cumsum([0, *doc_counts])[:-1].tolist()
        rows = [t.rows for t in self.tables]
        self.rows = None if any(r is None for r in rows) else concat_rows(rows, offsets)
        for t in self.tables:  # the joined arrays replace each table's own (which would double them)
            t.ids = t.embed_keys = t.rows = None

    def __len__(self) -> int:
        return self._bounds[-1]

    def _where(self, i: int) -> tuple[ClauseTable, int]:
        part = bisect_right(self._bounds, i) - 1
        return self.tables[part], i - self._bounds[part]

    def line(self, i: int) -> dict:
        table, j = self._where(i)
        return table.line(j)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        table, j = self._where(row_index(i, len(self)))
        return table[j]

    def __iter__(self):
        for table in self.tables:
            yield from table

    def records(self):
        for table in self.tables:
            yield from table.records()

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None


def _concat_bytes(arrays: list[np.ndarray]) -> np.ndarray:
    width = max((a.dtype.itemsize for a in arrays), default=1)
    return np.concatenate([a.astype(f"S{width}") for a in arrays]) if arrays else np.zeros(0, dtype="S1")


def concat_rows(parts: Sequence[RowColumns], doc_offsets: Sequence[int]) -> RowColumns:
    """The row columns of consecutive tables as one: documents shifted, codes remapped into joined
    vocabularies (first seen first). Line offsets stay with each table (``starts`` is not joined)."""

    def joined(codes: str, names: str, values=lambda p, n: p.arrays[n].tolist()):
        vocab: dict = {}
        out = []
        for p in parts:
            remap = np.array([vocab.setdefault(v, len(vocab)) for v in values(p, names)], dtype=np.int32)
            out.append(remap[p.arrays[codes]] if len(remap) else np.zeros(len(p.arrays[codes]), dtype=np.int32))
        return np.concatenate(out).astype(np.int32), list(vocab)

    region, regions = joined("region", "regions")
    kind, kinds = joined("kind", "kinds")
    path, paths = joined("path", "paths", lambda p, _: [tuple(x) for x in p.section_paths()])
    dep, deps = joined("dep", "deps")
    dep_ptr = [np.zeros(1, dtype=np.int64)]
    total = 0
    for p in parts:
        dep_ptr.append(p.arrays["dep_ptr"][1:].astype(np.int64) + total)
        total += int(p.arrays["dep_ptr"][-1])
    import json

    return RowColumns({
        "ids": _concat_bytes([p.arrays["ids"] for p in parts]),
        "keys": _concat_bytes([p.arrays["keys"] for p in parts]),
        "doc": np.concatenate([p.arrays["doc"].astype(np.int32) + off for p, off in zip(parts, doc_offsets, strict=True)]),
        "region": region,
        "regions": np.array(regions, dtype=str),
        "kind": kind,
        "kinds": np.array(kinds, dtype=str),
        "span_start": np.concatenate([p.arrays["span_start"].astype(np.int64) for p in parts]),
        "path": path,
        "paths": np.frombuffer(json.dumps([list(x) for x in paths], ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        "dep_ptr": np.concatenate(dep_ptr),
        "dep": dep,
        "deps": np.array(deps, dtype=str),
    })


def join_parts(parts: list[tuple]) -> tuple:
    """(clauses, documents, indicators, clause vectors, sentences) of the base and its segments, joined
    (see the module docstring). ``parts``: what ``store._read_part`` read of each."""
    for clauses, _, _, vectors, sentences in parts:
        rows = sentences.rows
        if vectors.ntotal != len(clauses) or (len(rows) and not 0 <= int(rows.min()) <= int(rows.max()) < len(clauses)):
            raise ValueError("a segment's vectors do not match its clauses")
    tables = [p[0] for p in parts]
    clauses = ClauseParts(tables, [len(p[1]) for p in parts])
    documents = tuple(d for p in parts for d in p[1])
    indicators = tuple(i for p in parts for i in p[2])
    vectors = stack_vectors(parts[0][3], [p[3] for p in parts[1:]])
    row_offsets = np.cumsum([0] + [len(t) for t in tables])[:-1]
    s = [p[4] for p in parts]
    sentences = replace(
        s[0],
        rows=np.concatenate([x.rows.astype(np.int32) + off for x, off in zip(s, row_offsets, strict=True)]),
        spans=np.concatenate([np.asarray(x.spans, dtype=np.int32).reshape(-1, 2) for x in s]),
        keys=Strings(_concat_bytes([x.keys.values for x in s])),
        index=stack_vectors(s[0].index, [x.index for x in s[1:]]),
    )
    return clauses, documents, indicators, vectors, sentences


def stack_vectors(base, deltas: list):
    """The base FAISS index with the vectors of the (flat) segment indexes after its own, ids continuing.

    A flat base becomes one flat index in memory (a flat index is small: at most the ANN threshold). An
    IVF base keeps its memory-mapped lists: the new vectors are assigned and encoded as ``index.add``
    would, into lists of their own stacked after the base's (FAISS cannot add to memory-mapped lists), in
    a new IVF index that shares the base's training."""
    import faiss

    from .ivfcodes import StackedLists
    from .store import flat_view

    extra = [flat_view(d) for d in deltas if d.ntotal]
    if not extra:
        return base
    new = np.ascontiguousarray(np.concatenate(extra), dtype=np.float32)
    if not isinstance(base, faiss.IndexIVF):
        flat = faiss.IndexFlatIP(base.d)
        if base.ntotal:
            flat.add(np.ascontiguousarray(flat_view(base)))
        flat.add(new)
        return flat
    n = len(new)
    _, lists = base.quantizer.search(new, 1)
    lists = np.ascontiguousarray(lists[:, 0], dtype=np.int64)
    codes = np.empty((n, base.code_size), dtype=np.uint8)
    base.encode_vectors(n, faiss.swig_ptr(new), faiss.swig_ptr(lists), faiss.swig_ptr(codes), False)
    ids = np.arange(base.ntotal, base.ntotal + n, dtype=np.int64)
    added = faiss.ArrayInvertedLists(base.nlist, base.code_size)
    order = np.argsort(lists, kind="stable")  # per list, in the order the vectors come
    bounds = np.flatnonzero(np.r_[True, lists[order][1:] != lists[order][:-1], True])
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        pick = order[a:b]
        list_ids, list_codes = np.ascontiguousarray(ids[pick]), np.ascontiguousarray(codes[pick])  # alive in the call
        added.add_entries(int(lists[pick[0]]), b - a, faiss.swig_ptr(list_ids), faiss.swig_ptr(list_codes))
    # A new IVF index around the base's lists and the new ones (the base, untouched, keeps and frees its
    # own lists): the base cloned while it holds no lists, so that nothing of its lists is copied.
    own = base.invlists
    base.own_invlists = False
    empty = faiss.ArrayInvertedLists(base.nlist, base.code_size)
    base.replace_invlists(empty, False)
    try:
        outer = faiss.clone_index(base)
    finally:
        base.replace_invlists(own, False)
        base.own_invlists = True
    pointers = faiss.InvertedListsPtrVector()
    pointers.push_back(own)
    pointers.push_back(added)
    stacked = faiss.HStackInvertedLists(pointers.size(), pointers.data())
    outer.replace_invlists(stacked, False)  # frees the clone's empty lists
    outer.ntotal = base.ntotal + n
    # alive as long as the outer index; StackedLists names the parts in order (ivfcodes reads rows in them)
    outer.referenced_objects = [base, empty, added, pointers, stacked, StackedLists((own, added))]
    return outer


def hardlink_tree(source: Path, target: Path, skip: frozenset[str]) -> None:
    """Every file under ``source`` linked (copied where it cannot be) under ``target``, but top-level names
    in ``skip``."""
    from .store import link_or_copy

    for root, dirs, files in os.walk(source):
        here = Path(root)
        rel = here.relative_to(source)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            link_or_copy(here / name, target / rel / name)


def append_segment(index_dir: Path, staging: Path, old, manifest, documents, clauses, keys, vectors, indicators,
                   postings, tokenizer: str, sentences, tokens: dict, timings: dict | None = None):
    """Write into ``staging`` the live index at ``index_dir`` (``old`` its manifest) plus one segment of
    the given plans (``postings``: their token postings, not scored yet), and return the manifest
    written: ``manifest`` with the new segment listed, the BM25 scores of every segment rescored for
    the corpus with the new plans (``postings``), the old files' checksums carried over and only the
    files written hashed. ``timings`` gets the seconds of each step (link, rescore, segment, hash)."""
    import time

    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = round(now - clock[0], 2)
        clock[0] = now

    from .lexical import LexicalIndex
    from .postings import SCORES, Postings
    from .store import MANIFEST, SEGMENTS, SegmentEntry, _write_json_atomic, file_checksums, write_parts, write_tokens

    hardlink_tree(index_dir, staging, frozenset({MANIFEST, MANIFEST + ".tmp"}))
    lap("link")
    lexicals = ["lexical"] + [f"{g.folder}/lexical" for g in old.segments]
    before = [Postings.load(index_dir / f) for f in lexicals]
    for i, f in enumerate(lexicals):
        before[i].rescore(staging / f, before[:i] + before[i + 1 :] + [postings])
    rewritten = {f"{f}/{name}" for f in lexicals for name in (SCORES, "params.index.json")}
    lap("rescore")
    taken = {g.folder for g in old.segments}
    number = len(old.segments) + 1
    while f"{SEGMENTS}/{number:06d}" in taken or (staging / SEGMENTS / f"{number:06d}").exists():
        number += 1
    folder = f"{SEGMENTS}/{number:06d}"
    lexical = LexicalIndex(postings.scored(before), tokenizer, postings.n_docs)
    write_parts(staging / folder, manifest.dim, {"type": "flat"}, documents, clauses, keys, vectors, indicators,
                lexical, sentences)
    write_tokens(staging, tokens)
    lap("segment")
    entry = SegmentEntry(folder, tuple(d.document.source for d in documents), len(documents), len(clauses),
                         len(sentences.rows), len(indicators))
    carried = tuple(f for f in old.files if f[0] not in rewritten)
    written = tuple(x for rel in sorted(rewritten) for x in file_checksums(staging, rel))
    manifest = replace(manifest, segments=(*old.segments, entry),
                       files=tuple(sorted(carried + written + file_checksums(staging, folder))))
    _write_json_atomic(staging / MANIFEST, manifest.to_json())
    lap("hash")
    return manifest
