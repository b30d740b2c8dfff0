"""The index folder on disk: the names it may hold, the checksums of its files, and its life between builds.

A build writes the new index into a staging folder beside the live one (``staging_dir``), under a lock
(``build_lock``), and puts it in place with two renames (``swap_in``): between them the old index waits
under ``<index>.old``, so a reader always finds a complete index (``_live_folder``) and the next build
finishes a swap that a kill interrupted (``recover``). Nothing is moved or deleted in a folder that is not
an index of this tool (``is_index_folder``, ``check_index_target``). What the manifest says is
``indexer.manifest``; this module knows only the files.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import IndexDamaged, UnsafePath

if TYPE_CHECKING:  # an annotation only: indexer.manifest imports this module
    from .manifest import Manifest

MANIFEST = "manifest.json"
# Every name an index folder of ours may hold (a folder holding anything else is not ours to replace).
INDEX_FILES = frozenset(
    {MANIFEST, MANIFEST + ".tmp", "faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "lexical",
     "sentences.faiss", "sentences.jsonl", "tokens", "rows.npz", "segments"}
)
SEGMENTS = "segments"  # segments/NNNNNN/: the files of plans added since the base was written
# The files of one segment (a subset of an index's own).
SEGMENT_FILES = frozenset({"faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "lexical",
                           "sentences.faiss", "sentences.jsonl", "rows.npz"})
TOKENS = "tokens"  # per-document token counts (lexical.TokenCounts, <key>.npz): a cache, not in the manifest


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link (an unchanged file of the previous index costs nothing), a copy where none can be made."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def file_checksums(folder: Path, under: str = "") -> tuple[tuple[str, int, str], ...]:
    """(relative path, size, sha256) of every file of an index folder but the manifest (or of its subfolder
    or file ``under`` only: a new segment, a rewritten file), sorted."""
    out = []
    root = folder / under if under else folder
    for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in (MANIFEST, MANIFEST + ".tmp") or rel.startswith(TOKENS + "/"):
            continue
        out.append((rel, path.stat().st_size, _sha256(path)))
    return tuple(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest_or_none(path: Path) -> str | None:
    try:
        return _sha256(path)
    except OSError:  # removed while we read it (a swap finishing): damaged for this read, retried
        return None


def _write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _aside(target: Path) -> Path:
    return target.with_name(target.name + ".old")


LEXICAL_FILES = frozenset({"data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "lexical.json",
                           "params.index.json", "vocab.index.json", "nonoccurrence_array.index.npy",
                           "tf.csc.index.npy", "lengths.index.npy"})


def is_index_folder(folder: Path, partial: bool = False) -> bool:
    """Whether ``folder`` is ours to replace: an empty folder, or one that holds a manifest or the vector
    and clause files of an index, and nothing but index files (``lexical/`` only bm25s's arrays). Never a
    file, a plans folder or anything else. ``partial``: a staging folder of ours that a kill left half
    written (its name is ours) may lack the manifest and the clause file."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    if not names:
        return True
    if not names <= INDEX_FILES:
        return False
    if not partial and not ({MANIFEST} & names or {"faiss.index", "clauses.jsonl"} <= names):
        return False
    tokens = folder / TOKENS
    if tokens.exists():
        if tokens.is_symlink() or not tokens.is_dir():
            return False
        if any(p.is_symlink() or not p.is_file() or not p.name.endswith(".npz") for p in tokens.iterdir()):
            return False
    segments = folder / SEGMENTS
    if segments.exists():
        if segments.is_symlink() or not segments.is_dir():
            return False
        for seg in segments.iterdir():
            if (seg.is_symlink() or not seg.is_dir() or not re.fullmatch("[0-9]{6}", seg.name)
                    or not {p.name for p in seg.iterdir()} <= SEGMENT_FILES or not _lexical_only(seg / "lexical")):
                return False
    return _lexical_only(folder / "lexical")


def _lexical_only(lexical: Path) -> bool:
    """A lexical folder (if any) holds nothing but BM25 files."""
    if lexical.exists():
        if lexical.is_symlink() or not lexical.is_dir():
            return False
        if any(p.is_dir() or p.name not in LEXICAL_FILES for p in lexical.iterdir()):
            return False
    return True


def check_index_target(index_dir: Path, data_dir: Path | None = None) -> None:
    """Refuse to build into a folder that is not an index of this tool (UnsafePath). The check runs before
    anything is written, so a wrong ``--index`` can never move or delete a user's files."""
    index_dir = Path(index_dir)
    try:
        where = index_dir.resolve()
        data = Path(data_dir).resolve() if data_dir is not None else None
    except (RuntimeError, OSError) as err:  # a link that loops
        raise UnsafePath(f"{index_dir} or {data_dir} cannot be resolved ({err}); choose another folder") from None
    if data is not None:
        if where == data or where.is_relative_to(data):
            raise UnsafePath(f"the index folder {index_dir} is inside the plans folder {data_dir}; choose another --index")
        if data.is_relative_to(where):
            raise UnsafePath(f"the plans folder {data_dir} is inside the index folder {index_dir}; choose another --index")
    for folder in (index_dir, _aside(index_dir)):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise UnsafePath(f"{folder} exists and is not a folder; choose another --index")
        if folder.exists() and not is_index_folder(folder):
            raise UnsafePath(
                f"{folder} holds files that are not a plan-search index; it will not be replaced "
                "(choose an empty or new folder for --index)"
            )


def swap_in(new: Path, target: Path) -> None:
    """Put a complete index in place of the old one (called under ``build_lock``). If we die between the
    two renames, the old one is still there under ``<target>.old``: readers use it, and the next build
    (``recover``) puts it back."""
    old = _aside(target)
    check_index_target(target)
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """Finish what a killed swap left (called under ``build_lock`` only; reading never repairs)."""
    old = _aside(target)
    if not (target / MANIFEST).exists() and (old / MANIFEST).exists() and is_index_folder(old):
        if target.exists():
            if not is_index_folder(target):
                return
            shutil.rmtree(target)
        os.replace(old, target)


def staging_dir(target: Path) -> Path:
    return target.with_name(f".{target.name}.building-{os.getpid()}-{int(time.time() * 1000)}")


def clean_stale_staging(target: Path) -> None:
    """Remove staging folders left by builds that were killed (never the live index)."""
    for stale in target.parent.glob(f".{target.name}.building-*"):
        if is_index_folder(stale, partial=True):
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """One build at a time per index folder (the CLI and the app's upload may both try)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as f:  # "a": a planted link is never truncated
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _live_folder(folder: Path) -> Path:
    """The folder to read: the index, or, while a swap is between its two renames (or was killed
    there), the previous index beside it. Reading never moves anything."""
    if not (folder / MANIFEST).exists() and (_aside(folder) / MANIFEST).exists():
        return _aside(folder)
    return folder


def _state(folder: Path) -> tuple:
    """What identifies the index version on disk right now (changes when a build swaps one in)."""
    out = []
    for path in (folder / MANIFEST, _aside(folder) / MANIFEST):
        try:
            st = path.stat()
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


# Files whose sha256 matched in this process, by what identifies their bytes on disk (device, inode, size,
# mtime) and the digest: a file an added segment carried over by hard link is not hashed again when the
# new index version loads (a write changes the mtime; the ctime cannot be used: linking changes it).
_VERIFIED_FILES: set[tuple] = set()


REQUIRED_FILES = frozenset({"faiss.index", "clauses.jsonl", "documents.json", "indicators.jsonl", "sentences.faiss",
                            "sentences.jsonl"})


def verify_files(folder: Path, manifest: Manifest, hashes: bool = True, again: bool = True) -> None:
    """IndexDamaged when a file of the index is missing, unlisted in the manifest, or differs in size (or
    sha256) from the manifest. ``again`` False: a file whose bytes this process hashed before (the same
    inode, unchanged since) is not hashed again."""
    problems = []
    required = REQUIRED_FILES | {f"{g.folder}/{name}" for g in manifest.segments for name in REQUIRED_FILES}
    unlisted = required - {rel for rel, _, _ in manifest.files}
    if unlisted:
        problems.append(f"the manifest lists no checksum for {', '.join(sorted(unlisted))}")
    for rel, size, digest in manifest.files:
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{rel} is missing")
            continue
        if st.st_size != size:
            problems.append(f"{rel} has {st.st_size} bytes, the manifest says {size}")
        elif hashes:
            seen = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, digest)
            if not again and seen in _VERIFIED_FILES:
                continue
            if _digest_or_none(path) != digest:
                problems.append(f"{rel} differs from its checksum")
            else:
                _VERIFIED_FILES.add(seen)
    if problems:
        raise IndexDamaged(f"the index at {folder} is damaged ({'; '.join(problems)}); rebuild it")
