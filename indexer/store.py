"""The index on disk: FAISS plus plain JSON/JSONL sidecars plus a manifest. Never pickle.

    index/manifest.json     format, parser, model (id, dim, prompts), tokenizer, per-source sha256, counts
    index/faiss.index       inner-product flat index; row i is clauses.jsonl line i
    index/clauses.jsonl     one clause a line (plus the hash of the text that was embedded)
    index/documents.json    documents with their heading tree and cleaned text (for context and browsing)
    index/indicators.jsonl  one indicator a line
    index/lexical/          BM25 arrays and vocabulary (bm25s, allow_pickle=False)

Writes go to a sibling temp folder that replaces the old one only when complete; loading checks the
manifest against the files and raises a typed error on any mismatch.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import IndexMismatch, IndexNotFound
from .records import Clause, Document, Heading, Indicator

FORMAT_VERSION = 1
# Bump when reading a plan gives different clauses for the same bytes: the index then rebuilds itself.
PARSER_VERSION = "1"
NORMALIZATION = "nfkc+opencc-t2s+lower"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    source: str
    sha256: str
    doc_id: str
    clauses: int


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

    def to_json(self) -> dict:
        data = asdict(self)
        data["skipped"] = [{"source": s, "reason": r} for s, r in self.skipped]
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
            )
        except (KeyError, TypeError, ValueError) as err:
            raise IndexMismatch(f"the index manifest is incomplete or damaged ({err}); rebuild the index") from err

    @property
    def fingerprint(self) -> str:
        """Changes whenever the index content changes (cache key for loaded indexes in the app)."""
        import hashlib

        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """A document as the index keeps it: metadata, heading tree and the cleaned text spans point into."""

    document: Document
    headings: tuple[Heading, ...]
    text: str


@dataclass(slots=True)
class PlanIndex:
    """A loaded index. Clause i is FAISS row i and lexical document i."""

    folder: Path
    manifest: Manifest
    documents: tuple[DocumentEntry, ...]
    clauses: tuple[Clause, ...]
    indicators: tuple[Indicator, ...]
    faiss: object
    lexical: object
    embed_keys: tuple[str, ...] = ()
    _by_id: dict[str, int] = field(default_factory=dict)
    _docs: dict[str, DocumentEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {c.clause_id: i for i, c in enumerate(self.clauses)}
        self._docs = {d.document.doc_id: d for d in self.documents}

    def row(self, clause_id: str) -> int | None:
        return self._by_id.get(clause_id)

    def clause(self, clause_id: str) -> Clause | None:
        i = self._by_id.get(clause_id)
        return None if i is None else self.clauses[i]

    def document(self, doc_id: str) -> DocumentEntry | None:
        return self._docs.get(doc_id)

    def vectors(self) -> np.ndarray:
        n = self.faiss.ntotal
        return self.faiss.reconstruct_n(0, n) if n else np.zeros((0, self.manifest.dim), dtype=np.float32)


# --- writing -------------------------------------------------------------------------------------------


def write_index(
    folder: Path,
    manifest: Manifest,
    documents: list[DocumentEntry],
    clauses: list[Clause],
    embed_keys: list[str],
    vectors: np.ndarray,
    indicators: list[Indicator],
    lexical,
) -> None:
    """Write a complete index into ``folder`` (which must not exist yet), manifest last."""
    import faiss

    folder.mkdir(parents=True)
    index = faiss.IndexFlatIP(manifest.dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(folder / "faiss.index"))
    with (folder / "clauses.jsonl").open("w", encoding="utf-8") as f:
        for clause, key in zip(clauses, embed_keys, strict=True):
            f.write(json.dumps({**clause.to_json(), "embed_key": key}, ensure_ascii=False) + "\n")
    docs = [
        {**d.document.to_json(), "headings": [h.to_json() for h in d.headings], "text": d.text} for d in documents
    ]
    (folder / "documents.json").write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
    with (folder / "indicators.jsonl").open("w", encoding="utf-8") as f:
        for ind in indicators:
            f.write(json.dumps(ind.to_json(), ensure_ascii=False) + "\n")
    lexical.save(folder / "lexical")
    _write_json_atomic(folder / MANIFEST, manifest.to_json())


def _write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def swap_in(new: Path, target: Path) -> None:
    """Put a complete index in place of the old one. If we die between the two renames, the old one is
    still there under ``<target>.old`` and ``load_index`` puts it back."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def staging_dir(target: Path) -> Path:
    return target.with_name(f".{target.name}.building-{os.getpid()}-{int(time.time() * 1000)}")


def clean_stale_staging(target: Path) -> None:
    """Remove staging folders left by builds that were killed (never the live index)."""
    for stale in target.parent.glob(f".{target.name}.building-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """One build at a time per index folder (the CLI and the app's upload may both try)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- reading -------------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> Manifest:
    folder = Path(folder)
    _recover(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise IndexNotFound(f"no index at {folder}: build it with `python -m indexer build`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise IndexMismatch(f"the index manifest at {path} is unreadable ({err}); rebuild the index") from err
    manifest = Manifest.from_json(data)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(
            f"the index at {folder} has format {manifest.format_version}, this program reads {FORMAT_VERSION}; rebuild it"
        )
    return manifest


def _recover(folder: Path) -> None:
    old = folder.with_name(folder.name + ".old")
    if not (folder / MANIFEST).exists() and (old / MANIFEST).exists():
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(old, folder)


def load_index(folder: str | Path) -> PlanIndex:
    """Load and check an index. IndexNotFound when there is none; IndexMismatch when its parts disagree."""
    import faiss

    from .lexical import LexicalIndex

    folder = Path(folder)
    manifest = read_manifest(folder)
    try:
        raw_clauses = [json.loads(line) for line in (folder / "clauses.jsonl").read_text(encoding="utf-8").splitlines()]
        clauses = tuple(Clause.from_json(c) for c in raw_clauses)
        keys = tuple(c.get("embed_key", "") for c in raw_clauses)
        docs_json = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        documents = tuple(
            DocumentEntry(
                Document.from_json(d),
                tuple(Heading(**{**h, "path": tuple(h["path"]), "span": tuple(h["span"])}) for h in d["headings"]),
                d["text"],
            )
            for d in docs_json
        )
        indicators = tuple(
            Indicator.from_json(json.loads(line))
            for line in (folder / "indicators.jsonl").read_text(encoding="utf-8").splitlines()
        )
        vectors = faiss.read_index(str(folder / "faiss.index"))
        lexical = LexicalIndex.load(folder / "lexical")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexMismatch(f"the index at {folder} is damaged ({type(err).__name__}: {err}); rebuild it") from err
    problems = []
    if vectors.ntotal != len(clauses):
        problems.append(f"{vectors.ntotal} vectors for {len(clauses)} clauses")
    if vectors.d != manifest.dim:
        problems.append(f"vectors of dimension {vectors.d}, manifest says {manifest.dim}")
    if lexical.n_docs != len(clauses):
        problems.append(f"lexical index over {lexical.n_docs} clauses, {len(clauses)} stored")
    if manifest.counts.get("clauses") != len(clauses) or manifest.counts.get("documents") != len(documents):
        problems.append("counts differ from the manifest")
    if problems:
        raise IndexMismatch(f"the index at {folder} does not match its manifest: {'; '.join(problems)}; rebuild it")
    return PlanIndex(folder, manifest, documents, clauses, indicators, vectors, lexical, keys)
