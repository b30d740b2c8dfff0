"""The manifest of an index (manifest.json): what the index holds and how it was made, read with typed errors.

Format and parser versions, the embedding model (id, dim, prompts, runtime), tokenizer and normalization,
every source with its sha256, counts, the size and sha256 of every file, how the vectors are searched
(``vector_index_spec``), the delta segments and the tombstones. ``read_manifest`` refuses a manifest this
program cannot read (``IndexNotFound``, ``IndexDamaged``, ``IndexMismatch``). No numpy, no faiss.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import IndexDamaged, IndexMismatch, IndexNotFound
from .folders import MANIFEST, SEGMENTS, _live_folder

# 2: sentence vectors beside the clause vectors (sentences.faiss + sentences.jsonl).
# 3: BM25 as raw term frequencies scored at query time (indexer/postings.py), and delta segments.
# 4: format 3 plus tombstones (documents of the base or a segment no longer live: a changed or removed
#    plan, ``indexer.segments``). An index without tombstones is written as 3, so older code opens it;
#    one with them is 4, which older code refuses with its "rebuild it" error.
FORMAT_VERSION = 3
TOMBSTONE_FORMAT = 4
READABLE_FORMATS = (2, 3, 4)  # format 2 opens as before (its precomputed BM25 matrix); a build rewrites it as 3
# Bump when reading a plan gives different clauses for the same bytes: the index then rebuilds itself.
PARSER_VERSION = "65"
NORMALIZATION = "nfkc+opencc-t2s+lower"


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
    # its status-change time then (a file restored with its old size and mtime, touch -r or cp -p, has a
    # new one, which no one can set back); 0 in manifests written before: the mtime alone decides
    ctime_ns: int = 0


@dataclass(frozen=True, slots=True)
class UnreadableEntry:
    """A file skipped for what it holds, not for where it stands: a scanned PDF whose pages the OCR engine
    read as blank (``pdf.NO_TEXT``). The next build skips it without reading it again while it is unchanged
    and the same engine would read it (indexer/sources.py): OCR takes seconds a page."""

    source: str
    reason: str
    sha256: str
    size: int
    mtime_ns: int  # 0 when too recent to trust (sources.RACY_NS): the next build hashes it
    ocr: str  # the OCR engine that found nothing (ocr.engine_id)


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
    # The record of each duplicate file (``duplicates``) as of this build, so that the next one knows an
    # unchanged duplicate without reading it again (a scanned PDF kept beside its text is OCR'd once).
    # Absent from manifests written before: those duplicates are read until a build writes the index.
    duplicate_sources: tuple[SourceEntry, ...] = ()
    # The files of ``skipped`` that hold no text an OCR engine can read, as of this build (UnreadableEntry);
    # absent from manifests written before: those files are read again, once.
    unreadable_sources: tuple[UnreadableEntry, ...] = ()
    # The catalog rows (data/catalog.csv: source -> fields) this build applied. When the catalog later cannot
    # be read (saved in another format, a column renamed), the next build applies these instead of dropping
    # every correction it held. Absent from manifests written before: {}.
    catalog: dict = field(default_factory=dict)

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
                duplicate_sources=tuple(SourceEntry(**s) for s in data.get("duplicate_sources", [])),
                unreadable_sources=tuple(UnreadableEntry(**u) for u in data.get("unreadable_sources", [])),
                catalog=_catalog(data.get("catalog", {})),
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


def _catalog(data) -> dict[str, dict[str, str]]:
    if not isinstance(data, dict):
        raise TypeError("catalog is not an object")
    return {str(k): {str(f): str(v) for f, v in row.items()} for k, row in data.items() if isinstance(row, dict)}


def _vector_index(data) -> dict:
    if data is None:
        return {"type": "flat"}
    if not isinstance(data, dict) or data.get("type") not in ("flat", "ivf"):
        raise TypeError(f"unknown vector index {data!r}")
    return dict(data)


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
