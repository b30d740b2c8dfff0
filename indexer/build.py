"""build_index(): data/ → index/, incremental and safe.

- A source unchanged since the last build (its size and mtime, else its sha256; the same catalog row and
  sidecar, parser and packs) is not parsed again: its records are taken from the index
  (``indexer.sources``). The others are read and parsed; a source that fails is reported and skipped.
- Vectors are reused for every clause whose embedded text is unchanged (keyed by its sha1), so an
  added or changed plan costs only its own clauses, and an unchanged rebuild embeds nothing. When the
  sources, model and settings all match the manifest, nothing is rewritten at all.
- The new index is written to a staging folder and swapped in whole: a build killed or failing
  halfway leaves the previous index loadable.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import packs
from .errors import IndexDamaged, IndexMismatch, IndexNotFound, IndexWriteFailed, UnreadableSource
from .folders import (
    TOKENS,
    build_lock,
    check_index_target,
    clean_stale_staging,
    recover,
    staging_dir,
    swap_in,
    verify_files,
)
from .lexical import DEFAULT_TOKENIZER, TOKENIZERS, LexicalIndex, TokenCounts, counts_key
from .manifest import (
    ANN_THRESHOLD,
    FORMAT_VERSION,
    NORMALIZATION,
    PARSER_VERSION,
    TOMBSTONE_FORMAT,
    Manifest,
    SourceEntry,
    read_manifest,
    vector_index_spec,
)
from .metadata import CATALOG
from .read import folder_catalog, read_folder
from .records import Clause, Document, ParsedPlan
from .sentences import sentence_spans
from .sources import KnownSource, SourceScan, plans_from_index
from .store import DocumentEntry, PlanIndex, load_index, write_index
from .vectors import SentenceVectors

EMBED_TEXTS = ("text", "path+text", "title+path+text")
DEFAULT_EMBED_TEXT = "path+text"

# progress(stage, done, total): stages are 'read', 'embed', 'write'.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class BuildReport:
    index_dir: Path
    up_to_date: bool  # nothing had changed: the index was left as it was
    documents: int
    clauses: int
    embedded: int  # clauses whose vectors were computed in this build
    reused: int  # clauses whose vectors came from the previous index
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[UnreadableSource, ...] = field(default=())
    seconds: float = 0.0
    duplicates: tuple[tuple[str, str], ...] = ()  # (source, the indexed source it duplicates)
    # seconds per stage: vectors, tokenize, merge (the BM25 postings), lexical (both), write
    timings: tuple[tuple[str, float], ...] = ()
    segments: int = 0  # delta segments of the index after this build (0: one index written from scratch)
    parsed: int = 0  # sources read and parsed in this build (the others were unchanged: ``indexer.sources``)

    def summary(self) -> str:
        if self.up_to_date:
            head = f"index up to date: {self.documents} documents, {self.clauses} clauses"
        else:
            head = (
                f"indexed {self.documents} documents, {self.clauses} clauses "
                f"(embedded {self.embedded}, reused {self.reused}) in {self.seconds:.1f}s"
            )
        parts = [head]
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        parts += [f"skipped {err}" for err in self.skipped]
        parts += [f"duplicate {source}: same text as {original}, not indexed again" for source, original in self.duplicates]
        return "\n".join(parts)


class _Laps:
    """Seconds per build stage: ``lap(name)`` records the time since the previous lap (or the start)."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 2)
        self._clock = now

def embed_text(clause: Clause, document: Document, recipe: str = DEFAULT_EMBED_TEXT) -> str:
    """The text embedded for a clause. The section path gives a bare clause (or a part of a long one)
    the topic its heading names."""
    if recipe == "text" or clause.kind == "indicator":
        return clause.text
    path = " ".join(clause.section_path)
    if recipe == "path+text":
        return f"{path}\n{clause.text}" if path else clause.text
    if recipe == "title+path+text":
        return f"{document.title} {path}\n{clause.text}"
    raise ValueError(f"unknown embed text recipe {recipe!r} (choose from {', '.join(EMBED_TEXTS)})")


MIN_SENTENCE_CHARS = 8  # shorter pieces (一、…, 是。) say too little to be matched on their own


def sentence_units(clauses: list[Clause], docs: dict[str, Document], recipe: str = DEFAULT_EMBED_TEXT):
    """(clause row, span, embedded text) of each sentence worth its own vector: those of clauses with two
    or more sentences (a one-sentence clause's vector is its sentence's). A clause answers a question
    through one or two sentences, which its whole-text vector dilutes (MaxP: Dai & Callan, SIGIR 2019)."""
    rows, spans, texts = [], [], []
    for row, clause in enumerate(clauses):
        if clause.kind == "indicator":
            continue
        parts = [(a, b) for a, b in sentence_spans(clause.text) if b - a >= MIN_SENTENCE_CHARS]
        if len(parts) < 2:
            continue
        path = " ".join(clause.section_path)
        for a, b in parts:
            sentence = clause.text[a:b]
            rows.append(row)
            spans.append((a, b))
            if recipe == "text" or not path:
                texts.append(sentence)
            elif recipe == "title+path+text":
                texts.append(f"{docs[clause.doc_id].title} {path}\n{sentence}")
            else:
                texts.append(f"{path}\n{sentence}")
    return rows, spans, texts


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_index(
    data_dir: str | Path = "data",
    index_dir: str | Path = "index",
    *,
    embedder=None,
    settings=None,
    tokenizer: str = DEFAULT_TOKENIZER,
    embed_recipe: str = DEFAULT_EMBED_TEXT,
    progress: Progress | None = None,
    force: bool = False,
    ann_threshold: int = ANN_THRESHOLD,
    compact: bool = False,
) -> BuildReport:
    """Build or update the index of the plans in ``data_dir``. See the module docstring. Past
    ``ann_threshold`` vectors (clauses and sentences) they go into IVF indexes (``manifest.vector_index_spec``).
    Plans that were only added go into a new segment (``indexer.segments``) unless ``compact`` (or
    ``force``) asks for one index written from scratch."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r} (choose from {', '.join(TOKENIZERS)})")
    if embed_recipe not in EMBED_TEXTS:
        raise ValueError(f"unknown embed text recipe {embed_recipe!r} (choose from {', '.join(EMBED_TEXTS)})")
    started = time.perf_counter()
    data_dir, index_dir = Path(data_dir).absolute(), Path(index_dir).absolute()
    progress = progress or (lambda stage, done, total: None)
    if embedder is None:
        from .embedding import EmbedderSettings, get_embedder

        embedder = get_embedder(settings or EmbedderSettings.from_env())

    check_index_target(index_dir, data_dir)
    with build_lock(index_dir):
        check_index_target(index_dir, data_dir)  # again: it may have changed while we waited
        recover(index_dir)
        clean_stale_staging(index_dir)
        try:
            old_manifest = read_manifest(index_dir)
        except (IndexNotFound, IndexMismatch):
            old_manifest = None
        old_sources = {s.source: s.sha256 for s in old_manifest.sources} if old_manifest else {}
        read_started = time.perf_counter()
        catalog = folder_catalog(data_dir, old_manifest.catalog if old_manifest else None)
        scan = SourceScan(old_manifest, reuse=not force, catalog=catalog)
        plans, skipped, duplicates, repeated = _read_all(data_dir, progress, prefer=set(old_sources), reuse=scan)
        promoted = [p.entry.source for p in plans if isinstance(p, KnownSource) and p.entry.source not in old_sources]
        if promoted:  # a known duplicate whose original went: the index does not hold it, so read it now
            scan.forget(promoted)
            plans, skipped, duplicates, repeated = _read_all(data_dir, progress, prefer=set(old_sources), reuse=scan)
        new_sources = dict(_identity(p)[:2] for p in plans)
        added = tuple(sorted(set(new_sources) - set(old_sources)))
        removed = tuple(sorted(set(old_sources) - set(new_sources)))
        # changed: other bytes, or another catalog row or sidecar (recorded since indexer.sources)
        old_overrides = {s.source: s.overrides for s in old_manifest.sources if s.overrides} if old_manifest else {}
        changed = tuple(sorted(
            s for s in set(new_sources) & set(old_sources)
            if new_sources[s] != old_sources[s] or (s in old_overrides and s in scan.stamps
                                                     and scan.stamps[s].overrides != old_overrides[s])
        ))
        parsed = sum(isinstance(p, ParsedPlan) for p in plans)
        read_seconds = round(time.perf_counter() - read_started, 2)
        settings_same = _settings_same(old_manifest, embedder, tokenizer, embed_recipe, ann_threshold)
        skipped_same = old_manifest is not None and set(old_manifest.skipped) == {
            (Path(e.path).name, e.reason) for e in skipped
        } and set(old_manifest.duplicates) == set(duplicates) and _blank_same(old_manifest, scan, skipped)
        if not force and settings_same and skipped_same and not (added or removed or changed) and not (
            compact and (old_manifest.segments or old_manifest.tombstones)
        ):
            try:
                load_index(index_dir, verify="full")  # up to date only if every file still hashes right
                return BuildReport(
                    index_dir, True, len(plans), old_manifest.counts.get("clauses", 0), 0, 0,
                    skipped=tuple(skipped), seconds=time.perf_counter() - started, duplicates=duplicates,
                    timings=(("read", read_seconds),), parsed=parsed,
                )
            except (IndexNotFound, IndexMismatch):
                pass

        report = None
        if settings_same and (added or changed or removed) and not (force or compact):
            report = _append(plans, tuple(skipped), duplicates, old_manifest, index_dir, embedder, tokenizer,
                             embed_recipe, ann_threshold, progress, started, (added, changed, removed), scan,
                             repeated=_duplicate_entries(repeated, scan))
        if report is None:
            read_started = time.perf_counter()
            whole, old_index = _whole_plans(plans, index_dir)
            if whole is None:  # the index does not hold the unchanged sources whole: read them all again
                scan = SourceScan(old_manifest, reuse=False, catalog=catalog)
                whole, skipped, duplicates, repeated = _read_all(data_dir, progress, prefer=set(old_sources), reuse=scan)
                parsed = len(whole)
            read_seconds = round(read_seconds + time.perf_counter() - read_started, 2)
            report = _write_build(whole, tuple(skipped), duplicates, old_manifest, index_dir, embedder, tokenizer,
                                  embed_recipe, ann_threshold, progress, started, (added, changed, removed), scan=scan,
                                  old_index=old_index, repeated=_duplicate_entries(repeated, scan))
        return replace(report, timings=(("read", read_seconds), *report.timings), parsed=parsed)


def _blank_same(old_manifest: Manifest, scan: SourceScan, skipped) -> bool:
    """Whether the manifest already records every blank scan of ``skipped`` (else the build writes it, so
    that the next one does not OCR them again)."""
    def key(entries):
        return {(e.source, e.sha256, e.ocr) for e in entries}

    return key(old_manifest.unreadable_sources) == key(scan.blank_entries(skipped))


def _identity(item: ParsedPlan | KnownSource) -> tuple[str, str, str, str]:
    """(source, sha256, doc_id, content key) of a plan read in this build or known from the last one."""
    if isinstance(item, KnownSource):
        e = item.entry
        return e.source, e.sha256, e.doc_id, e.content
    d = item.document
    return d.source, d.sha256, d.doc_id, content_key(item.text)


def _whole_plans(items: list, index_dir: Path) -> tuple[list[ParsedPlan] | None, object]:
    """Every plan parsed, for a build that writes the whole index: the known (unchanged) sources as the
    index holds them (``sources.plans_from_index``); None when the index cannot give them. Beside them the
    old index loaded (its vectors are reused next), or None."""
    known = [x for x in items if isinstance(x, KnownSource)]
    if not known:
        return items, None
    try:
        old = load_index(index_dir, verify="full")  # never reuse damaged bytes
    except (IndexNotFound, IndexMismatch):
        return None, None
    got = plans_from_index(old, known)
    if got is None:
        return None, old
    return [got[x.entry.source] if isinstance(x, KnownSource) else x for x in items], old


def _source_entry(plan: ParsedPlan, scan: SourceScan | None) -> SourceEntry:
    if scan is not None:
        return scan.entry(plan, content_key(plan.text))
    d = plan.document
    return SourceEntry(d.source, d.sha256, d.doc_id, len(plan.clauses), d.ocr_pages)


def _settings_same(old_manifest, embedder, tokenizer, embed_recipe, ann_threshold) -> bool:
    """Whether the index was built with these settings (model, runtime, recipe, tokenizer, parser, packs)."""
    from .embedding import runtime_of

    return old_manifest is not None and old_manifest.runtime == runtime_of(embedder) and (
        old_manifest.model,
        old_manifest.embed_text,
        old_manifest.tokenizer,
        old_manifest.parser_version,
        old_manifest.query_prompt,
        old_manifest.passage_prompt,
        old_manifest.vector_index.get("threshold", ANN_THRESHOLD),
        {k: old_manifest.packs.get(k) for k in packs.BUILD_PACKS},
    ) == (embedder.name, embed_recipe, tokenizer, PARSER_VERSION, embedder.query_prompt, embedder.passage_prompt,
          ann_threshold, packs.build_digests())


def build_from_plans(
    plans: list[ParsedPlan],
    index_dir: str | Path,
    *,
    embedder,
    tokenizer: str = DEFAULT_TOKENIZER,
    embed_recipe: str = DEFAULT_EMBED_TEXT,
    progress: Progress | None = None,
    ann_threshold: int = ANN_THRESHOLD,
    token_dirs: tuple[Path, ...] = (),
    compact: bool = False,
) -> BuildReport:
    """Write the index of plans already read (what ``build_index`` does after reading ``data/``), reusing
    the previous index's vectors and token counts (and those cached in ``token_dirs``): for benchmarks of
    large synthetic indexes, whose plans have no source files."""
    started = time.perf_counter()
    index_dir = Path(index_dir).absolute()
    check_index_target(index_dir)
    with build_lock(index_dir):
        recover(index_dir)
        clean_stale_staging(index_dir)
        try:
            old_manifest = read_manifest(index_dir)
        except (IndexNotFound, IndexMismatch):
            old_manifest = None
        old = {s.source: s.sha256 for s in old_manifest.sources} if old_manifest else {}
        new = {p.document.source: p.document.sha256 for p in plans}
        added, removed = tuple(sorted(set(new) - set(old))), tuple(sorted(set(old) - set(new)))
        changed = tuple(sorted(s for s in set(new) & set(old) if new[s] != old[s]))
        progress = progress or (lambda stage, done, total: None)
        if added and not (compact or removed or changed) and _settings_same(
            old_manifest, embedder, tokenizer, embed_recipe, ann_threshold
        ):
            report = _append(plans, (), (), old_manifest, index_dir, embedder, tokenizer, embed_recipe,
                             ann_threshold, progress, started, (added, (), ()))
            if report is not None:
                return report
        return _write_build(plans, (), (), old_manifest, index_dir, embedder, tokenizer, embed_recipe, ann_threshold,
                            progress, started, (added, changed, removed), token_dirs)


def _write_build(plans, skipped, duplicates, old_manifest, index_dir, embedder, tokenizer, embed_recipe,
                 ann_threshold, progress, started, diff, token_dirs=(), scan=None, old_index=None,
                 repeated: tuple[SourceEntry, ...] = ()) -> BuildReport:
    """Vectors (reused or embedded), token counts (reused or tokenized), BM25, then the new index written
    to a staging folder and swapped in. Runs under the build lock. ``old_index``: the live index, already
    loaded and verified (its vectors are reused), or None to load it here."""
    added, changed, removed = diff
    lap = _Laps()
    timings = lap.timings

    clauses = [c for p in plans for c in p.clauses]
    docs = {p.document.doc_id: p.document for p in plans}
    texts = [embed_text(c, docs[c.doc_id], embed_recipe) for c in clauses]
    keys = [_key(t) for t in texts]
    rows, spans, sentence_texts = sentence_units(clauses, docs, embed_recipe)
    sentence_keys = [_key(t) for t in sentence_texts]
    all_vectors, embedded = _vectors(
        index_dir, old_manifest, embedder, texts + sentence_texts, keys + sentence_keys, progress, old_index
    )
    del old_index
    vectors = all_vectors[: len(texts)]
    sentences = SentenceVectors(np.array(rows, dtype=np.int32), tuple(spans), tuple(sentence_keys),
                                all_vectors[len(texts) :])
    lap("vectors")
    progress("write", 0, 1)
    from .embedding import runtime_of

    manifest = Manifest(
        format_version=FORMAT_VERSION,
        parser_version=PARSER_VERSION,
        packs=packs.digests(),
        model=embedder.name,
        dim=int(embedder.dim),
        query_prompt=embedder.query_prompt,
        passage_prompt=embedder.passage_prompt,
        embed_text=embed_recipe,
        tokenizer=tokenizer,
        normalization=NORMALIZATION,
        sources=tuple(_source_entry(p, scan) for p in plans),
        counts={"documents": len(plans), "clauses": len(clauses), "indicators": sum(len(p.indicators) for p in plans),
                "vectors": len(clauses), "sentences": len(sentence_texts)},
        skipped=tuple((Path(e.path).name, e.reason) for e in skipped),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 2),
        duplicates=duplicates,
        duplicate_sources=repeated,
        unreadable_sources=scan.blank_entries(skipped) if scan is not None else (),
        catalog=(scan.catalog_rows if scan is not None else None) or {},
        vector_index=vector_index_spec(len(clauses), len(sentence_texts), ann_threshold),
        runtime=runtime_of(embedder),
    )
    lexical, tokens = lexical_index(plans, index_dir, tokenizer, timings, token_dirs)
    lap("lexical")
    staging = staging_dir(index_dir)
    try:
        write_index(
            staging,
            manifest,
            [DocumentEntry(p.document, p.headings, p.text) for p in plans],
            clauses,
            keys,
            vectors,
            [i for p in plans for i in p.indicators],
            lexical,
            sentences,
            tokens,
        )
        swap_in(staging, index_dir)
    except (OSError, RuntimeError, MemoryError) as err:  # a full disk: faiss raises RuntimeError
        raise IndexWriteFailed(
            f"could not write the index at {index_dir} ({_reason(err)}); the previous index is unchanged"
        ) from err
    finally:
        clean_stale_staging(index_dir)
    lap("write")
    progress("write", 1, 1)
    return BuildReport(
        index_dir, False, len(plans), len(clauses), embedded, len(clauses) + len(sentence_texts) - embedded,
        added, changed, removed, tuple(skipped), time.perf_counter() - started, duplicates,
        tuple(timings.items()),
    )


def _append(plans, skipped, duplicates, old_manifest, index_dir, embedder, tokenizer, embed_recipe, ann_threshold,
            progress, started, diff, scan=None, repeated: tuple[SourceEntry, ...] = ()) -> BuildReport | None:
    """Add plans as a new segment of the index and tombstone the documents of changed and removed ones
    (``indexer.segments``): the new plans' vectors, token counts and files only, the rest of the index
    linked as it is (a changed plan is its old document tombstoned and the new version added). None (write
    the whole index instead) when the index predates segments, its files are not all there, a document to
    tombstone cannot be placed, or the segments and dead base rows would grow past ``COMPACT_SHARE`` of the
    base or take a flat index past the ANN threshold. Runs under the build lock."""
    from .embedding import runtime_of
    from .postings import Postings
    from .segments import COMPACT_SHARE, append_segment, tombstones_for

    added, changed, removed = diff
    if old_manifest.format_version not in (FORMAT_VERSION, TOMBSTONE_FORMAT) or not Postings.exists(index_dir / "lexical"):
        return None
    fresh = set(added) | set(changed)
    new_plans = [p for p in plans if isinstance(p, ParsedPlan) and p.document.source in fresh]
    if len(new_plans) != len(fresh):
        return None
    try:
        dead, dead_counts = tombstones_for(index_dir, old_manifest, (*changed, *removed))
    except (OSError, ValueError, KeyError):  # a part without rows.npz, a document not found: write it whole
        return None
    tombstones = (*old_manifest.tombstones, *dead)
    in_segments = sum(g.clauses for g in old_manifest.segments)
    base = old_manifest.counts.get("clauses", 0) + sum(t.clauses for t in old_manifest.tombstones) - in_segments
    dead_in_base = sum(t.clauses for t in tombstones if t.part == "")
    clauses = [c for p in new_plans for c in p.clauses]
    if in_segments + len(clauses) + dead_in_base > COMPACT_SHARE * base:
        return None
    docs = {p.document.doc_id: p.document for p in new_plans}
    rows, spans, sentence_texts = sentence_units(clauses, docs, embed_recipe)
    totals = {"documents": old_manifest.counts.get("documents", 0) + len(new_plans) - len(dead),
              "clauses": old_manifest.counts.get("clauses", 0) + len(clauses) - sum(t.clauses for t in dead),
              "indicators": old_manifest.counts.get("indicators", 0) + sum(len(p.indicators) for p in new_plans)
              - dead_counts["indicators"],
              "sentences": old_manifest.counts.get("sentences", 0) + len(sentence_texts) - dead_counts["sentences"]}
    totals["vectors"] = totals["clauses"]
    spec = vector_index_spec(totals["clauses"], totals["sentences"], ann_threshold)
    if spec["type"] != old_manifest.vector_index.get("type") or runtime_of(embedder) != old_manifest.runtime:
        return None
    try:
        verify_files(index_dir, old_manifest, hashes=False)  # sizes: the hashes are checked when it is loaded
    except IndexDamaged:
        return None
    lap = _Laps()
    timings = lap.timings

    texts = [embed_text(c, docs[c.doc_id], embed_recipe) for c in clauses]
    keys = [_key(t) for t in texts]
    sentence_keys = [_key(t) for t in sentence_texts]
    old = _index_to_reuse(index_dir, old_manifest) if changed else None
    all_vectors, embedded = _vectors(index_dir, old_manifest if old is not None else None, embedder,
                                     texts + sentence_texts, keys + sentence_keys, progress, old)
    del old
    sentences = SentenceVectors(np.array(rows, dtype=np.int32), tuple(spans), tuple(sentence_keys),
                                all_vectors[len(texts) :])
    lap("vectors")
    progress("write", 0, 1)
    parts, tokens = token_counts(new_plans, index_dir, tokenizer, timings)
    postings = Postings.from_counts(parts) if new_plans else None
    lap("lexical")
    gone = set(changed) | set(removed)
    manifest = replace(
        old_manifest,
        format_version=TOMBSTONE_FORMAT if tombstones else old_manifest.format_version,
        packs=packs.digests(),
        sources=_replaced(_refreshed(old_manifest.sources, plans, scan), gone, [_source_entry(p, scan) for p in new_plans]),
        counts=totals,
        skipped=tuple((Path(e.path).name, e.reason) for e in skipped),
        duplicates=duplicates,
        duplicate_sources=repeated,
        unreadable_sources=scan.blank_entries(skipped) if scan is not None else (),
        catalog=scan.catalog_rows if scan is not None and scan.catalog_rows is not None else old_manifest.catalog,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 2),
        tombstones=tombstones,
    )
    staging = staging_dir(index_dir)
    try:
        manifest = append_segment(index_dir, staging, old_manifest, manifest,
                                  [DocumentEntry(p.document, p.headings, p.text) for p in new_plans], clauses, keys,
                                  all_vectors[: len(texts)], [i for p in new_plans for i in p.indicators], postings,
                                  tokenizer, sentences, tokens, timings)
        swap_in(staging, index_dir)
    except (OSError, RuntimeError, MemoryError) as err:
        raise IndexWriteFailed(
            f"could not write the index at {index_dir} ({_reason(err)}); the previous index is unchanged"
        ) from err
    finally:
        clean_stale_staging(index_dir)
    lap("write")  # link + segment + hash + the swap
    progress("write", 1, 1)
    total_vectors = totals["clauses"] + totals["sentences"]
    return BuildReport(
        index_dir, False, totals["documents"], totals["clauses"], embedded, total_vectors - embedded,
        tuple(added), tuple(changed), tuple(removed), tuple(skipped), time.perf_counter() - started, duplicates,
        tuple(timings.items()), segments=len(manifest.segments),
    )


# A changed plan keeps the vectors of its unchanged clauses and sentences, read from the index as it stands
# (every file hashed: no damaged bytes are reused) when it has at most this many clauses: reading and
# hashing one this size takes a few seconds, less than embedding a plan's ~1,000 texts; above it the
# changed plan is embedded whole (a fresh process would hash gigabytes).
REUSE_READ_AT_MOST = 200_000


def _index_to_reuse(index_dir: Path, manifest) -> PlanIndex | None:
    """The index as it stands, for its vectors, or None (too large to read for this, or unreadable)."""
    if manifest.counts.get("clauses", 0) > REUSE_READ_AT_MOST:
        return None
    try:
        return load_index(index_dir, verify="full")
    except (IndexNotFound, IndexMismatch, IndexDamaged):
        return None


def _replaced(entries, gone: set[str], new: list[SourceEntry]) -> tuple[SourceEntry, ...]:
    """The manifest's source entries with those of changed plans replaced where they stood, removed ones
    left out, and added ones after them."""
    by_source = {e.source: e for e in new}
    out = [by_source.pop(e.source, e) for e in entries if e.source not in gone or e.source in by_source]
    return (*out, *by_source.values())


def _refreshed(entries, items, scan) -> tuple[SourceEntry, ...]:
    """The manifest's entries of the sources already indexed, with what this build saw of them (their stamps:
    ``indexer.sources``)."""
    if scan is None:
        return tuple(entries)
    seen = {}
    for x in items:
        seen[_identity(x)[0]] = x.entry if isinstance(x, KnownSource) else x
    out = []
    for e in entries:
        x = seen.get(e.source)
        if isinstance(x, SourceEntry):
            out.append(x)
        elif isinstance(x, ParsedPlan) and x.document.sha256 == e.sha256:
            out.append(_source_entry(x, scan))
        else:
            out.append(e)
    return tuple(out)


def _reason(err: BaseException) -> str:
    """One line for a write error: 'No space left on device' rather than a faiss stack dump."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(err).__name__


def lexical_index(
    plans: list[ParsedPlan],
    index_dir: Path,
    tokenizer: str,
    timings: dict | None = None,
    token_dirs: tuple[Path, ...] = (),
):
    """The BM25 index of the plans' clauses, and the token counts of each plan for the next build
    (``token_counts``). The postings are merged from the counts and scored (``postings``): the numbers of
    a build from scratch with bm25s."""
    parts, tokens = token_counts(plans, index_dir, tokenizer, timings, token_dirs)
    tokenized = time.perf_counter()
    lexical = LexicalIndex.from_counts(parts, tokenizer)
    if timings is not None:
        timings["merge"] = round(time.perf_counter() - tokenized, 2)
    return lexical, tokens


def token_counts(
    plans: list[ParsedPlan],
    index_dir: Path,
    tokenizer: str,
    timings: dict | None = None,
    token_dirs: tuple[Path, ...] = (),
) -> tuple[list[TokenCounts], dict]:
    """The token counts of each plan's lexical texts, and what to keep of them for the next build: a plan
    whose texts were tokenized before (its counts are cached in the index under ``tokens/``, keyed by
    those texts and the tokenizer) is not tokenized again, so adding one plan to a large index tokenizes
    that plan only."""
    started = time.perf_counter()
    parts: list[TokenCounts | None] = []
    tokens: dict = {}
    loaded: dict[str, TokenCounts] = {}  # plans with the same texts share their counts
    missing: list[tuple[int, str, list[str]]] = []
    for plan in plans:
        texts = texts_for_lexical(plan.clauses)
        key = counts_key(texts, tokenizer)
        counts = loaded.get(key)
        for folder in (index_dir / TOKENS, *token_dirs):
            cached = folder / f"{key}.npz"
            if counts is not None or not cached.is_file() or cached.is_symlink():
                continue
            try:
                counts = TokenCounts.load(cached)
                if len(counts) != len(texts):
                    counts = None
            except Exception:  # noqa: BLE001 - a damaged cache file (zip, npy, shape): tokenize again
                counts = None
            if counts is not None:
                loaded[key] = counts
                tokens[key] = cached
        if counts is None:
            missing.append((len(parts), key, texts))
        parts.append(counts)
    for (at, key, _), counts in zip(missing, _tokenize_all([m[2] for m in missing], tokenizer), strict=True):
        parts[at] = tokens[key] = counts
    if timings is not None:
        timings["tokenize"] = round(time.perf_counter() - started, 2)
    return parts, tokens


PARALLEL_TOKENIZE_ABOVE = 20_000  # texts: below this, starting worker processes costs more than it saves


def _tokenize_all(documents: list[list[str]], tokenizer: str) -> list[TokenCounts]:
    """Token counts of each document's texts; a large batch (a first build of many plans) in worker
    processes, one per core up to four (jieba is pure Python: one core tokenizes ~600 clauses/s)."""
    total = sum(len(d) for d in documents)
    workers = min(os.cpu_count() or 1, 4)
    if total <= PARALLEL_TOKENIZE_ABOVE or workers < 2:
        return [TokenCounts.of(texts, tokenizer) for texts in documents]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the app builds from a thread, and forking a threaded process can deadlock
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(TokenCounts.of, documents, [tokenizer] * len(documents), chunksize=16))


def texts_for_lexical(clauses: list[Clause]) -> list[str]:
    """BM25 sees the clause and its section path (a query naming the section's topic should match)."""
    return [" ".join(c.section_path) + "\n" + c.text for c in clauses]


def _read_all(
    data_dir: Path, progress: Progress, prefer: set[str] = frozenset(), reuse: SourceScan | None = None
) -> tuple[list[ParsedPlan | KnownSource], list[UnreadableSource], tuple[tuple[str, str], ...], list]:
    """The plans of a folder, the files skipped (and why), the duplicates: (source, source it repeats), and
    the duplicate files as read (or known from the last build: an unchanged one is not read again).
    With ``reuse``, a source unchanged since the last build is its ``KnownSource``, not parsed again.

    Two files with the same text (byte-identical under another name, or the same plan as .txt and .docx)
    are indexed once; the one already indexed (``prefer``), else the first by name, is kept."""
    if not data_dir.is_dir():
        raise IndexNotFound(f"no plans folder at {data_dir}")
    plans: list[ParsedPlan | KnownSource] = []
    skipped: list[UnreadableSource] = []
    results = list(read_folder(data_dir, reuse, *((reuse.catalog, reuse.previous_ids) if reuse is not None else ())))
    for i, result in enumerate(results, 1):
        (skipped if isinstance(result, UnreadableSource) else plans).append(result)
        progress("read", i, len(results))
    identity = {id(p): _identity(p) for p in plans}
    plans.sort(key=lambda p: (identity[id(p)][0] not in prefer, identity[id(p)][0]))
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    duplicates: list[tuple[str, str]] = []
    repeated: list[ParsedPlan | KnownSource] = []
    unique = []
    for plan in plans:
        source, _, doc_id, content = identity[id(plan)]
        same_text = seen_texts.get(content)
        if same_text is not None:
            duplicates.append((source, same_text))
            repeated.append(plan)
            continue
        if doc_id in seen_ids:  # same stem, other text: the ids would collide
            skipped.append(UnreadableSource(source, f"same document id as {seen_ids[doc_id]}"))
            continue
        seen_ids[doc_id] = source
        seen_texts[content] = source
        unique.append(plan)
    unique.sort(key=lambda p: identity[id(p)][0])
    rows = (reuse.catalog_rows if reuse is not None else None) or {}
    for source, original in sorted(duplicates):  # its row corrects a document the index does not hold
        if source in rows:
            skipped.append(UnreadableSource(str(data_dir / CATALOG), f"row {source}: the file repeats {original}, "
                                                                   "which is indexed instead; its row is unused"))
    return unique, skipped, tuple(sorted(duplicates)), repeated


def _duplicate_entries(items: list, scan: SourceScan | None) -> tuple[SourceEntry, ...]:
    """The manifest's records of the duplicate files, by name (``Manifest.duplicate_sources``)."""
    entries = [x.entry if isinstance(x, KnownSource) else _source_entry(x, scan) for x in items]
    return tuple(sorted(entries, key=lambda e: e.source))


def content_key(text: str) -> str:
    """Equal for the same plan whatever file it came in: the cleaned text without any whitespace."""
    return hashlib.sha256("".join(text.split()).encode("utf-8")).hexdigest()


def _vectors(index_dir, old_manifest, embedder, texts, keys, progress, old=None) -> tuple[np.ndarray, int]:
    """Vectors for every text: reused from the old index when the model and text are the same (the last
    vector stored under a key wins, sentences after clauses), copied over in blocks straight from the old
    index's storage (no second copy of a large index's vectors, no Python object per vector)."""
    dim = int(embedder.dim)
    out = np.zeros((len(texts), dim), dtype=np.float32)
    found = np.zeros(len(texts), dtype=bool)
    from .embedding import runtime_of

    same = old_manifest is not None and old_manifest.runtime == runtime_of(embedder)  # one runtime per index
    if same and old_manifest.model == embedder.name and old_manifest.dim == embedder.dim:
        try:
            old = old if old is not None else load_index(index_dir, verify="full")  # never reuse damaged bytes
            sources = [(old.embed_keys, old.vector_table())]
            if old.sentences is not None:
                sources.append((old.sentences.keys, old.sentences.vectors))
            for old_keys, rows in sources:
                last = {k: j for j, k in enumerate(old_keys) if k}
                pairs = [(i, last[k]) for i, k in enumerate(keys) if k in last]
                if not pairs:
                    continue
                dst, src = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
                for start in range(0, len(dst), 65536):
                    part = src[start : start + 65536]
                    out[dst[start : start + 65536]] = rows[part] if isinstance(rows, np.ndarray) else rows.take(part)
                found[dst] = True
        except (IndexNotFound, IndexMismatch):
            out[:] = 0
            found[:] = False
    missing = np.flatnonzero(~found).tolist()
    batch = 128  # large enough for the embedder's length sorting to cut padding
    progress("embed", 0, len(missing))
    for start in range(0, len(missing), batch):
        idx = missing[start : start + batch]
        out[idx] = embedder.embed_documents([texts[i] for i in idx])
        progress("embed", min(start + batch, len(missing)), len(missing))
    return out, len(missing)
