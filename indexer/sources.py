"""Sources unchanged since the last build are not parsed again.

Parsing is the cost of a build that grows with the plans folder (PDF, Word, OCR of scanned pages): a
build that adds one plan to ten thousand must not parse the ten thousand again to find it. The manifest
records for each indexed source, beside its sha256, the file's size and modification time, the content
key of its cleaned text (duplicates are found without it) and a digest of what overrides its metadata
(its catalog row and ``.meta.json`` sidecar). The next build looks at each plan file (``SourceScan``):

- the same size, mtime and ctime as recorded: unchanged, the file is not even read (a file restored
  with its old size and mtime, by touch -r or cp -p, has a new ctime);
- otherwise it is hashed: the same sha256 is unchanged too (a touch, a copy), its new stamp recorded;
- an unchanged file with the same overrides digest, under the same parser version and build packs
  (``parse_same``), is a ``KnownSource``: the build takes its document, text, headings, clauses and
  indicators from the index (``plans_from_index``), which holds exactly what parsing it gave. Every
  other file is parsed, as every build did before.

A scanned PDF that OCR read as blank (``pdf.NO_TEXT``) is recorded too (``manifest.UnreadableEntry``): while
it is unchanged and the same OCR engine is installed, the scan yields its skip again without reading it.

An mtime within ``RACY_NS`` of the scan is not recorded (0): a file written again within the same clock
tick can keep its size and mtime, so such a file is hashed by the next build (git's "racy clean" rule).
Sources of manifests written before these fields (or by ``build_from_plans``) are parsed once more; the
build that writes the index next records them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from . import packs
from .errors import UnreadableSource
from .manifest import PARSER_VERSION, Manifest, SourceEntry, UnreadableEntry
from .metadata import override_fields
from .records import ParsedPlan

RACY_NS = 2_000_000_000  # an mtime this close to the scan is not trusted by the next build


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a build saw of a plan file before reading it."""

    size: int
    mtime_ns: int  # 0: too recent to trust
    overrides: str  # overrides_digest
    ctime_ns: int = 0  # its status-change time


@dataclass(frozen=True, slots=True)
class KnownSource:
    """A plan file unchanged since the last build: the index's record of it stands in for a parse."""

    entry: SourceEntry  # as the manifest had it, its stamp brought up to date
    problems: tuple[UnreadableSource, ...] = ()  # what reading it reports (a sidecar that cannot be used)


def parse_same(old: Manifest | None) -> bool:
    """Whether parsing a source now gives what it gave for the index ``old`` (parser version and the packs
    that reading depends on)."""
    return old is not None and old.parser_version == PARSER_VERSION and {
        k: old.packs.get(k) for k in packs.BUILD_PACKS
    } == packs.build_digests()


def overrides_digest(path: Path, catalog: dict | None) -> tuple[str, tuple[UnreadableSource, ...]]:
    """The sha256 of what overrides a plan's metadata (``metadata.override_fields``: the fields its catalog row
    and then its sidecar set, and every problem with them), and those problems."""
    fields, problems = override_fields(path, catalog)
    data = json.dumps([fields, [str(e) for e in problems]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest(), problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class SourceScan:
    """``read_folder``'s ``reuse``: a ``KnownSource`` for a plan file unchanged since the index ``old``
    (see the module docstring), None for one to parse. Remembers the stamp of every plan file it saw
    (``stamps``, by file name) and how many it had to hash (``hashed``). ``reuse`` False: stamps only."""

    def __init__(self, old: Manifest | None, reuse: bool = True, catalog=None):
        self.catalog = catalog  # the catalog this build applies (read.FolderCatalog), None: read_folder's own
        self._previous = old
        same = reuse and parse_same(old)
        self._old = {e.source: e for e in (*old.duplicate_sources, *old.sources)} if same else {}
        self._blank = {e.source: e for e in old.unreadable_sources} if same else {}
        self.stamps: dict[str, Stamp] = {}
        self.hashed = 0
        self._trusted_before = time.time_ns() - RACY_NS

    def __call__(self, path: Path, catalog: dict | None) -> KnownSource | UnreadableSource | None:
        try:
            st = path.stat()
        except OSError:
            return None  # reading it reports why
        overrides, problems = overrides_digest(path, catalog)
        mtime = st.st_mtime_ns if st.st_mtime_ns < self._trusted_before else 0
        self.stamps[path.name] = Stamp(st.st_size, mtime, overrides, st.st_ctime_ns)
        blank = self._blank.get(path.name)
        if blank is not None and self._unchanged(path, st, blank.size, blank.mtime_ns, blank.sha256):
            from .ocr import engine_id

            if blank.ocr == engine_id():  # the same engine would read it as blank again
                known = UnreadableSource(str(path), blank.reason)
                known.sha256 = blank.sha256
                return known
        old = self._old.get(path.name)
        if old is None or not old.content or old.overrides != overrides:
            return None
        if not self._unchanged(path, st, old.size, old.mtime_ns, old.sha256, old.ctime_ns):
            return None
        return KnownSource(replace(old, size=st.st_size, mtime_ns=mtime, overrides=overrides, ctime_ns=st.st_ctime_ns), problems)

    @property
    def catalog_rows(self) -> dict[str, dict[str, str]] | None:
        """The catalog rows this build applies (recorded in its manifest), None when not given here."""
        return self.catalog.rows if self.catalog is not None else None

    def previous_ids(self, folder: Path, names: list[str]) -> dict[str, str]:
        """The document id each of these plan files had in the last build (``read.doc_ids`` keeps them), in
        order of precedence: the files the index holds; then a file taking the place of one that has gone
        — its duplicate (the same plan as .md beside the .txt that went) or the same bytes under a new
        name (a rename: links to its clauses keep working); then the other duplicates."""
        old = self._previous
        if old is None:
            return {}
        present = set(names)
        indexed = {e.source: e.doc_id for e in old.sources if e.source in present}
        duplicates = {e.source: e.doc_id for e in old.duplicate_sources if e.source in present}
        gone = {e.source: e for e in old.sources if e.source not in present}
        heirs: dict[str, str] = {}
        for dup, original in old.duplicates:  # (duplicate, the source it repeats)
            if dup in duplicates and original in gone:
                heirs[dup] = gone.pop(original).doc_id
        by_bytes = {e.sha256: e.doc_id for e in gone.values()}
        known = {e.source for e in (*old.sources, *old.duplicate_sources)}
        for name in names:
            if not by_bytes:
                break
            if name in known:
                continue
            try:
                doc_id = by_bytes.pop(file_sha256(folder / name), None)
            except OSError:
                continue
            if doc_id is not None:
                heirs[name] = doc_id
        return {**indexed, **heirs, **{n: i for n, i in duplicates.items() if n not in heirs}}

    def _unchanged(self, path: Path, st, size: int, mtime_ns: int, sha256: str, ctime_ns: int = 0) -> bool:
        """The file as recorded: the same size, (trusted) mtime and, where recorded, ctime, else the same
        sha256 (counted)."""
        if mtime_ns and (size, mtime_ns) == (st.st_size, st.st_mtime_ns) and ctime_ns in (0, st.st_ctime_ns):
            return True
        self.hashed += 1
        try:
            return file_sha256(path) == sha256
        except OSError:
            return False

    def forget(self, names) -> None:
        """Read these files next time, whatever their stamps say (a duplicate the index does not hold)."""
        for name in names:
            self._old.pop(name, None)

    def blank_entries(self, skipped) -> tuple[UnreadableEntry, ...]:
        """The manifest's records of the files of ``skipped`` (UnreadableSource) that OCR read as blank: the
        sha256 of the bytes that were read (``UnreadableSource.sha256``), never a hash of the file taken
        after its OCR (seconds a page), which may be another file by then (an upload replacing it): that
        one would be skipped unread by the next build."""
        from .ocr import engine_id
        from .pdf import NO_TEXT

        out = []
        for err in skipped:
            name = Path(err.path).name
            stamp = self.stamps.get(name)
            if err.reason != NO_TEXT or stamp is None or not err.sha256:
                continue
            out.append(UnreadableEntry(name, err.reason, err.sha256, stamp.size, stamp.mtime_ns, engine_id()))
        return tuple(sorted(out, key=lambda e: e.source))

    def entry(self, plan: ParsedPlan, content: str) -> SourceEntry:
        """The manifest's entry for a plan read in this build (``content``: its content key)."""
        doc = plan.document
        stamp = self.stamps.get(doc.source)
        return SourceEntry(doc.source, doc.sha256, doc.doc_id, len(plan.clauses), doc.ocr_pages,
                           *((stamp.size, stamp.mtime_ns, content, stamp.overrides, stamp.ctime_ns) if stamp else ()))


def plans_from_index(index, known: list[KnownSource]) -> dict[str, ParsedPlan] | None:
    """The ``ParsedPlan`` of every known source as the loaded ``index`` holds it (by source name): its
    document, cleaned text and headings from documents.json, its clauses and indicators in row order.
    None when the index does not hold one of them whole (the build then parses them all again)."""
    wanted = {k.entry.doc_id: k for k in known}
    documents = {d.document.doc_id: d for d in index.documents if d.document.doc_id in wanted}
    clauses, indicators = defaultdict(list), defaultdict(list)
    for clause in index.clauses:
        if clause.doc_id in documents:
            clauses[clause.doc_id].append(clause)
    for indicator in index.indicators:
        if indicator.doc_id in documents:
            indicators[indicator.doc_id].append(indicator)
    out = {}
    for doc_id, k in wanted.items():
        d = documents.get(doc_id)
        if d is None or (d.document.source, d.document.sha256, len(clauses[doc_id])) != (
            k.entry.source, k.entry.sha256, k.entry.clauses
        ):
            return None
        out[k.entry.source] = ParsedPlan(d.document, d.text, d.headings, tuple(clauses[doc_id]),
                                         tuple(indicators[doc_id]), k.problems)
    return out
