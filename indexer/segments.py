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
- Tombstones: a removed plan's document (in the base or the segment that holds it) is listed in the
  manifest as no longer live, with its rows there (a document's rows are contiguous); a changed plan is
  its old document tombstoned and the new version appended as a segment. Nothing is rewritten but the
  BM25 scores, rescored for the live rows (``postings``: N, mean length and document frequencies leave the
  dead rows out). At load the dead rows disappear from the row space every reader knows (``join_parts``):
  the clause table, ids, row columns, documents, indicators and sentences hold the live rows only, so
  a clause id resolves to its live row (a changed plan's new clauses may reuse the old ids), and no
  list, filter, export or page can meet a dead row; a flat index is copied without them, an IVF index
  keeps its memory-mapped lists with the FAISS id of each live row (``vector_ids``: searches translate
  and leave the dead ids out, ``retrieval.search``); BM25 keeps the dead rows' postings and masks them.
  An index with tombstones is of format 4 (older code refuses it); without, it stays format 3.
- Exactness: BM25 is the from-scratch score bit for bit; dense scores are the same vectors (a flat base:
  exact search over all; an IVF base: the base's training, until compaction retrains). Rankings break
  ties by row: a changed plan keeps its place (its new rows take the old ones' place in the loaded row
  order), so the rows are a fresh build's (plans by file name) wherever plans were added in that order;
  an added plan's rows follow the others', as before.
- Compaction: a build that changes a setting, is asked to (``build --compact``), or whose segments and
  dead base rows would pass ``COMPACT_SHARE`` of the base's clauses (or move a flat index past the ANN
  threshold) writes one base from scratch of the live plans, as every build did before.
"""

from __future__ import annotations

import json
import os
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .records import Clause
from .rowtable import ROWS, ClauseTable, RowColumns, Strings, positions, row_index

COMPACT_SHARE = 0.10  # segment rows and dead base rows past this share of the base's clauses: a new base


class ClauseParts(Sequence):
    """The clause tables of the base and its segments as one table (``ClauseTable``'s interface): rows in
    order, ids, embed keys and row columns joined. ``keep``: the rows of the joined tables that are live
    (an index with tombstones), in the order the table then has them (a changed plan's in its old
    place), ``doc_map`` giving each joined document's position among the live ones (-1 for a dead one)."""

    def __init__(self, tables: Sequence[ClauseTable], doc_counts: Sequence[int], keep: np.ndarray | None = None,
                 doc_map: np.ndarray | None = None):
        self.tables = tuple(tables)
        self._bounds = np.cumsum([0] + [len(t) for t in self.tables]).tolist()
        self._keep = keep
        ids = _concat_bytes([t.ids.values for t in self.tables])
        keys = _concat_bytes([t.embed_keys.values for t in self.tables])
        offsets = np.cumsum([0, *doc_counts])[:-1].tolist()
        rows = [t.rows for t in self.tables]
        rows = None if any(r is None for r in rows) else concat_rows(rows, offsets)
        # the rows in order as (table, first row, row after the last) runs, for a sequential pass
        self._runs = [(t, 0, len(t)) for t in self.tables]
        if keep is not None:
            ids, keys = ids[keep], keys[keep]
            rows = None if rows is None else subset_rows(rows, keep, doc_map)
            breaks = np.flatnonzero(np.diff(keep) != 1) + 1 if len(keep) else np.zeros(0, dtype=np.int64)
            self._runs = []
            for a, b in zip([0, *breaks.tolist()], [*breaks.tolist(), len(keep)], strict=True):
                if b > a:
                    first, last = int(keep[a]), int(keep[b - 1]) + 1
                    part = bisect_right(self._bounds, first) - 1
                    while first < last:  # a run may span the end of one table and the start of the next
                        end = min(last, self._bounds[part + 1])
                        self._runs.append((self.tables[part], first - self._bounds[part], end - self._bounds[part]))
                        first, part = end, part + 1
        self.ids, self.embed_keys, self.rows = Strings(ids), Strings(keys), rows
        for t in self.tables:  # the joined arrays replace each table's own (which would double them)
            t.ids = t.embed_keys = t.rows = None

    def __len__(self) -> int:
        return self._bounds[-1] if self._keep is None else len(self._keep)

    def _where(self, i: int) -> tuple[ClauseTable, int]:
        if self._keep is not None:
            i = int(self._keep[i])
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
        for record in self.records():
            yield Clause.from_json(record)

    def records(self):
        for table, start, stop in self._runs:
            yield from table.records(start, stop)

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


def subset_rows(rows: RowColumns, keep: np.ndarray, doc_map: np.ndarray) -> RowColumns:
    """The row columns of the ``keep`` rows only, documents renumbered through ``doc_map`` (vocabularies kept
    whole: a code no row uses any more is never looked at)."""
    a = rows.arrays
    counts = np.diff(a["dep_ptr"])[keep]
    total = int(counts.sum())
    dep_ptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(counts, out=dep_ptr[1:])
    take = np.repeat(a["dep_ptr"][keep], counts) + np.arange(total) - np.repeat(dep_ptr[:-1], counts)
    return RowColumns({**a, "ids": a["ids"][keep], "keys": a["keys"][keep],
                       "doc": doc_map[a["doc"][keep]].astype(np.int32), "region": a["region"][keep],
                       "kind": a["kind"][keep], "span_start": a["span_start"][keep], "path": a["path"][keep],
                       "dep_ptr": dep_ptr, "dep": a["dep"][take].astype(np.int32)})


def join_parts(parts: list[tuple], dead: list[tuple[np.ndarray, frozenset[str]]] | None = None) -> tuple:
    """(clauses, documents, indicators, clause vectors, sentences, vector ids, live rows) of the base and its
    segments, joined (see the module docstring). ``parts``: what ``store._read_part`` read of each;
    ``dead``: per part, the rows and document ids its tombstones leave out (``store.dead_parts``), which
    no reader then sees. ``vector ids``: None, or (an IVF index with tombstones) the FAISS id of each live
    row; ``live rows``: None, or the joined parts' row of each live row (the lexical index's)."""
    for clauses, _, _, vectors, sentences in parts:
        rows = sentences.rows
        if vectors.ntotal != len(clauses) or (len(rows) and not 0 <= int(rows.min()) <= int(rows.max()) < len(clauses)):
            raise ValueError("a segment's vectors do not match its clauses")
    tables = [p[0] for p in parts]
    row_offsets = np.cumsum([0] + [len(t) for t in tables])[:-1]
    keep = doc_map = None
    documents = tuple(d for p in parts for d in p[1])
    indicators = tuple(i for p in parts for i in p[2])
    if dead is not None:
        keep, doc_map, documents, indicators = _live(parts, dead, row_offsets)
    clauses = ClauseParts(tables, [len(p[1]) for p in parts], keep, doc_map)
    vectors, vector_ids = live_vectors(stack_vectors(parts[0][3], [p[3] for p in parts[1:]]), keep)
    s = [p[4] for p in parts]
    rows = np.concatenate([x.rows.astype(np.int64) + off for x, off in zip(s, row_offsets, strict=True)])
    spans = np.concatenate([np.asarray(x.spans, dtype=np.int32).reshape(-1, 2) for x in s])
    keys = _concat_bytes([x.keys.values for x in s])
    sentence_index = stack_vectors(s[0].index, [x.index for x in s[1:]])
    sentence_ids = None
    if keep is not None:
        to_live = positions(keep, int(row_offsets[-1]) + len(tables[-1]))
        alive = np.flatnonzero(to_live[rows] >= 0)
        alive = alive[np.argsort(to_live[rows[alive]], kind="stable")]  # in the order of their clauses' rows
        rows, spans, keys = to_live[rows[alive]], spans[alive], keys[alive]
        sentence_index, sentence_ids = live_vectors(sentence_index, alive)
    sentences = replace(s[0], rows=rows.astype(np.int32), spans=spans, keys=Strings(keys), index=sentence_index,
                        index_ids=sentence_ids)
    return clauses, documents, indicators, vectors, sentences, vector_ids, keep


def _live(parts, dead, row_offsets) -> tuple:
    """(live rows, document positions among the live ones, live documents, live indicators) of the joined
    parts, each part's tombstones checked against what it holds (ValueError: the index is damaged).

    A changed plan keeps its place: the live document that has the id of a tombstoned one (its new
    version, in a later segment) takes the rows' place of the first of them, so that the rows are in the
    order of a fresh build (plans by file name; ties rank by row) wherever the plans were added in that
    order. Without ``rows.npz`` in every part (an index written before it) the live rows stay in order."""
    runs = []  # per part: (document entry, id, first row, row after its last, dead?, indicators)
    for (table, docs, inds, _, _), (rows, doc_ids), offset in zip(parts, dead, row_offsets, strict=True):
        gone = [i for i, d in enumerate(docs) if d.document.doc_id in doc_ids]
        if len(gone) != len(doc_ids) or (len(rows) and int(rows[-1]) >= len(table)):
            raise ValueError("a tombstone names a document or rows its part does not hold")
        if table.rows is not None and not np.array_equal(np.flatnonzero(np.isin(table.rows.doc, gone)), rows):
            raise ValueError("a tombstone's rows are not its document's")
        if table.rows is None or (len(table.rows.doc) and (np.diff(table.rows.doc) < 0).any()):
            bounds = None
        else:
            bounds = np.searchsorted(table.rows.doc, np.arange(len(docs) + 1)).tolist()
        by_doc: dict[str, list] = {}
        for x in inds:
            by_doc.setdefault(x.doc_id, []).append(x)
        alive = np.ones(len(table), dtype=bool)
        alive[rows] = False
        part = []
        for i, d in enumerate(docs):
            span = (int(offset) + bounds[i], int(offset) + bounds[i + 1]) if bounds is not None else None
            part.append((d, span, i in gone, by_doc.get(d.document.doc_id, []) if i not in gone else []))
        runs.append((part, None if bounds is not None else np.flatnonzero(alive) + int(offset)))
    ordered = all(plain is None for _, plain in runs)
    live_at = {d.document.doc_id: (p, i) for p, (part, _) in enumerate(runs) for i, (d, _, dead_, _) in enumerate(part)
               if not dead_}
    placed: set[tuple[int, int]] = set()
    keep, doc_map, documents, indicators = [], {}, [], []
    phys_doc = np.cumsum([0] + [len(part) for part, _ in runs]).tolist()

    def emit(p: int, i: int) -> None:
        d, span, _, inds = runs[p][0][i]
        placed.add((p, i))
        doc_map[phys_doc[p] + i] = len(documents)
        documents.append(d)
        indicators.extend(inds)
        if ordered:
            keep.append(np.arange(*span, dtype=np.int64))

    for p, (part, plain) in enumerate(runs):
        for i, (d, _, is_dead, _) in enumerate(part):
            if is_dead:
                new = live_at.get(d.document.doc_id) if ordered else None
                if new is not None and new not in placed:
                    emit(*new)
            elif (p, i) not in placed:
                emit(p, i)
        if not ordered:
            keep.append(plain)
    mapping = np.full(phys_doc[-1], -1, dtype=np.int64)
    mapping[list(doc_map)] = list(doc_map.values())
    keep_rows = np.concatenate(keep).astype(np.int64) if keep else np.zeros(0, dtype=np.int64)
    return keep_rows, mapping, tuple(documents), tuple(indicators)


def live_vectors(index, keep: np.ndarray | None) -> tuple:
    """(FAISS index, ids) of the ``keep`` vectors only: a flat index copied without the others (a flat index is
    small: at most the ANN threshold), an IVF index as it is with the ids of the live rows (its lists stay
    memory-mapped; a search leaves the others out, ``retrieval.search``)."""
    import faiss

    from .vectors import flat_view

    if keep is None:
        return index, None
    if isinstance(index, faiss.IndexIVF):
        return index, np.ascontiguousarray(keep, dtype=np.int64)
    flat = faiss.IndexFlatIP(index.d)
    if len(keep):
        flat.add(np.ascontiguousarray(flat_view(index)[keep]))
    return flat, None


def stack_vectors(base, deltas: list):
    """The base FAISS index with the vectors of the (flat) segment indexes after its own, ids continuing.

    A flat base becomes one flat index in memory (a flat index is small: at most the ANN threshold). An
    IVF base keeps its memory-mapped lists: the new vectors are assigned and encoded as ``index.add``
    would, into lists of their own stacked after the base's (FAISS cannot add to memory-mapped lists), in
    a new IVF index that shares the base's training."""
    import faiss

    from .ivfcodes import StackedLists
    from .vectors import flat_view

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
    from .folders import link_or_copy

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
    the given plans (``postings``: their token postings, not scored yet; None: no plan to add, only
    tombstones), and return the manifest written: ``manifest`` (with its tombstones) with the new segment
    listed, the BM25 scores of every segment rescored for the corpus of the live rows with the new plans,
    the old files' checksums carried over and only the files written hashed. ``timings`` gets the seconds
    of each step (link, rescore, segment, hash)."""
    import time

    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = round(now - clock[0], 2)
        clock[0] = now

    from .folders import MANIFEST, SEGMENTS, _write_json_atomic, file_checksums
    from .lexical import LexicalIndex
    from .manifest import SegmentEntry
    from .postings import SCORES, Postings
    from .store import dead_parts, write_parts, write_tokens

    hardlink_tree(index_dir, staging, frozenset({MANIFEST, MANIFEST + ".tmp"}))
    lap("link")
    lexicals = ["lexical"] + [f"{g.folder}/lexical" for g in old.segments]
    dead = dead_parts(replace(manifest, segments=old.segments)) or [(None, None)] * len(lexicals)
    before = [Postings.load(index_dir / f).without(d) for f, (d, _) in zip(lexicals, dead, strict=True)]
    added = [postings] if postings is not None else []
    for i, f in enumerate(lexicals):
        before[i].rescore(staging / f, before[:i] + before[i + 1 :] + added)
    rewritten = {f"{f}/{name}" for f in lexicals for name in (SCORES, "params.index.json")}
    lap("rescore")
    written = tuple(x for rel in sorted(rewritten) for x in file_checksums(staging, rel))
    segments = old.segments
    if postings is not None:
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
        segments = (*segments, SegmentEntry(folder, tuple(d.document.source for d in documents), len(documents),
                                            len(clauses), len(sentences.rows), len(indicators)))
        written += file_checksums(staging, folder)
    carried = tuple(f for f in old.files if f[0] not in rewritten)
    manifest = replace(manifest, segments=segments, files=tuple(sorted(carried + written)))
    _write_json_atomic(staging / MANIFEST, manifest.to_json())
    lap("hash")
    return manifest


def tombstones_for(index_dir: Path, manifest, sources) -> tuple[tuple, dict[str, int]]:
    """The tombstones of the live documents of some sources (changed or removed plans): each in the last
    part that holds the source (a plan changed before lives in the segment that added its new version),
    with its rows there; and the indicators and sentence vectors they take out of the counts. OSError,
    KeyError or ValueError when a document cannot be placed (the build then writes the index whole)."""
    from .manifest import Tombstone

    entries = {e.source: e for e in manifest.sources}
    out: list = []
    counts = {"indicators": 0, "sentences": 0}
    for source in sources:
        doc_id = entries[source].doc_id
        part = next((g.folder for g in reversed(manifest.segments) if source in g.sources), "")
        if any((t.part, t.doc_id) == (part, doc_id) for t in (*manifest.tombstones, *out)):
            raise ValueError(f"{doc_id} of {part or 'the base'} is tombstoned already")
        folder = index_dir / part if part else index_dir
        start, stop = document_rows(folder, doc_id)
        out.append(Tombstone(part, doc_id, start, stop))
        with (folder / "indicators.jsonl").open(encoding="utf-8") as f:
            counts["indicators"] += sum(json.loads(line).get("doc_id") == doc_id for line in f if line.strip())
        rows = np.array(re.findall(rb'^\{"row": (\d+)', (folder / "sentences.jsonl").read_bytes(), re.M), dtype=np.int64)
        counts["sentences"] += int(np.count_nonzero((rows >= start) & (rows < stop)))
    return tuple(out), counts


def document_rows(folder: Path, doc_id: str) -> tuple[int, int]:
    """(first row, row after the last) of a document of a part (a base or segment folder): its rows are
    contiguous (a build writes plan after plan). Found in ``rows.npz`` (its document column, and the
    documents' ids where the build wrote them, else documents.json's)."""
    with np.load(folder / ROWS, allow_pickle=False) as z:
        doc = z["doc"]
        doc_ids = z["doc_ids"].tolist() if "doc_ids" in z.files else None
    if doc_ids is None:
        doc_ids = [d["doc_id"] for d in json.loads((folder / "documents.json").read_text(encoding="utf-8"))]
    rows = np.flatnonzero(doc == doc_ids.index(doc_id))
    if not len(rows):
        return 0, 0
    if int(rows[-1]) - int(rows[0]) + 1 != len(rows):
        raise ValueError(f"the rows of {doc_id} are not contiguous")
    return int(rows[0]), int(rows[-1]) + 1
