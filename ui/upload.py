"""Adding a plan from the browser: check the name, size and type, prove the file readable on a temporary
copy, then put it into the plans folder without ever losing an existing file silently.

    saved = save_upload("青海 规划.pdf", data, data_dir)        # SavedUpload(name='青海_规划.pdf', status='added')

Raises UploadRefused (our own checks, a Chinese message) or UnreadableSource (the reader's reason).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import UnreadableSource
from indexer.load import SUPPORTED_SUFFIXES
from indexer.read import doc_id_for, plan_files, read_plan

from .messages import UploadRefused

MAX_BYTES = 20 * 1024 * 1024
MAX_STEM = 100
CONFLICT_CHOICES = ("rename", "overwrite", "refuse")
# Characters a stored name may keep: CJK, letters and digits of any script, - _ .
_UNSAFE = re.compile(r"[^\w\-.\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_RESERVED = {"readme", "catalog", "examples"}  # data/README.md, catalog.csv and examples.txt are not plans


@dataclass(frozen=True, slots=True)
class SavedUpload:
    name: str  # the file name in the plans folder
    status: str  # 'added' | 'renamed' (saved under a new name) | 'replaced' | 'unchanged' (already there)
    title: str  # the document title the reader found
    original: str  # the name as uploaded
    clash: str = ""  # 'renamed': the file already in the folder whose document id the upload shares


def sanitize_filename(name: str) -> str:
    """A safe plain file name: no folders, no leading dots, only CJK / letters / digits / - _ .

    The suffix is lower-cased; an empty stem becomes 'document'."""
    name = unicodedata.normalize("NFKC", str(name or "")).replace("\\", "/").split("/")[-1].strip()
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"_+", "_", name).lstrip("._-")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip("._-")[:MAX_STEM].rstrip("._-") or "document"
    if stem.lower() in _RESERVED:
        stem += "_plan"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def check_upload(name: str, data: bytes) -> str:
    """The safe name for an upload, or UploadRefused for a size or type we do not take."""
    safe = sanitize_filename(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = "、".join(s.lstrip(".").upper() for s in SUPPORTED_SUFFIXES)
        raise UploadRefused(f"{name}：不支持的文件类型（{suffix or '无扩展名'}），请上传 {kinds} 文件。")
    if not data:
        raise UploadRefused(f"{name}：文件是空的。")
    if len(data) > MAX_BYTES:
        raise UploadRefused(f"{name}：文件太大（{len(data) / 1024 / 1024:.1f} MB），上限为 {MAX_BYTES // 1024 // 1024} MB。")
    return safe


def validate_readable(safe_name: str, data: bytes, original: str = ""):
    """Read the upload from a temporary copy; raises UnreadableSource naming the uploaded file."""
    with tempfile.TemporaryDirectory(prefix="plansearch-upload-") as tmp:
        path = Path(tmp) / safe_name
        path.write_bytes(data)
        try:
            return read_plan(path)
        except UnreadableSource as err:
            raise UnreadableSource(original or safe_name, err.reason) from None


def save_upload(name: str, data: bytes, data_dir: Path, on_conflict: str = "rename") -> SavedUpload:
    """Check, validate and store an uploaded plan in ``data_dir``.

    A file with the same document id (same name, or same stem with another suffix) is a conflict:
    'rename' saves under ``<stem>_2`` …, 'overwrite' replaces it (the user confirmed), 'refuse' raises.
    A byte-identical file already in the folder is left as it is."""
    if on_conflict not in CONFLICT_CHOICES:
        raise ValueError(f"on_conflict must be one of {CONFLICT_CHOICES}")
    safe = check_upload(name, data)
    plan = validate_readable(safe, data, original=name)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Two sessions may save at once: decide the name and create the file under one lock, and create it
    # exclusively, so neither can overwrite the other's file unseen.
    with _folder_lock(data_dir):
        saved_as, status, clash = _store(safe, data, data_dir, on_conflict, name)
    return SavedUpload(saved_as, status, plan.document.title, name, clash)


def _store(safe: str, data: bytes, data_dir: Path, on_conflict: str, name: str) -> tuple[str, str, str]:
    """(the name saved as, the status, the name of the file it clashed with when renamed)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = plan_files(data_dir)
    for path in existing:
        if path.stat().st_size == len(data) and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return path.name, "unchanged", ""
    taken: dict[str, Path] = {}
    for p in existing:  # the file of that very name first: plan.md and plan.txt may both be in the folder
        if doc_id_for(p.name) not in taken or p.name == safe:
            taken[doc_id_for(p.name)] = p
    clash = taken.get(doc_id_for(safe))
    if clash is None:
        return _create_new(data_dir, safe, data, taken), "added", ""
    if on_conflict == "refuse":
        raise UploadRefused(f"{name}：{clash_words(clash.name, safe)}（内容不同）。请改名，或确认覆盖。")
    if on_conflict == "rename":
        return _create_new(data_dir, safe, data, taken, rename=True), "renamed", clash.name
    tmp = _write_temp(data_dir, data)
    try:
        # The file replaced (same name, or same document id with another suffix) is withdrawn, not deleted:
        # the operator can put it back from .withdrawn/. Its old bytes are kept there before the new ones
        # take its name (no moment without either); a file of the same name keeps its sidecar (the plan's
        # corrections), which is copied beside the withdrawn bytes.
        if clash.name == safe:
            _keep_withdrawn(data_dir, safe)
        os.replace(tmp, data_dir / safe)
    except OSError as err:
        raise UploadRefused(f"{name}：无法覆盖原文件（{err.strerror or err}），原文件未改动。") from None
    finally:
        tmp.unlink(missing_ok=True)
    if clash.name != safe:
        try:
            _move_to_withdrawn(data_dir, clash.name)
        except OSError as err:  # the new file is in place: say so, and that the old one is still there too
            raise UploadRefused(f"{name}：新文件已保存为 {safe}，但原文件 {clash.name} 未能移入 {WITHDRAWN}/"
                                f"（{err.strerror or err}），两个文件都在文件库中，请手动移出其一。") from None
    return safe, "replaced", ""


def _create_new(data_dir: Path, safe: str, data: bytes, taken: dict, rename: bool = False) -> str:
    """Create ``safe`` (or ``<stem>_2`` … when renaming) without ever replacing a file: the complete file is
    hard-linked into place, which fails if the name exists (also for a writer outside this lock)."""
    stem, suffix = Path(safe).stem, Path(safe).suffix
    candidates = (f"{stem}_{n}{suffix}" for n in range(2, 10_000)) if rename else iter((safe,))
    tmp = _write_temp(data_dir, data)
    try:
        for candidate in candidates:
            if rename and doc_id_for(candidate) in taken:
                continue
            try:
                _link_exclusive(tmp, data_dir / candidate, data)
                return candidate
            except FileExistsError:
                if not rename:
                    raise UploadRefused(f"{safe}：同名文件刚刚被保存，请重试。") from None
        raise UploadRefused(f"{safe}：同名文件过多，请改名后再上传。")
    finally:
        tmp.unlink(missing_ok=True)


def _link_exclusive(tmp: Path, target: Path, data: bytes) -> None:
    """Give the complete temp file its final name; FileExistsError if the name is taken."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: create exclusively and write
        with target.open("xb") as f:
            try:
                f.write(data)
            except BaseException:  # a full disk: leave no truncated plan under the final name
                target.unlink(missing_ok=True)
                raise


def _write_temp(data_dir: Path, data: bytes) -> Path:
    """The upload written completely under a fresh hidden name (scan_folder ignores it)."""
    fd, name = tempfile.mkstemp(dir=data_dir, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def same_titled(documents) -> list[tuple[str, list[str]]]:
    """(title, the files) for each title (with its region) that more than one indexed file carries: not
    byte-identical files (those are duplicates already), but perhaps the same plan twice (a scan of part
    of it, a Word and a PDF edition). Sorted, for the Library to ask the operator."""
    from indexer.textnorm import search_form

    groups: dict[tuple[str, str], list] = {}
    for d in documents:
        if d.title:
            groups.setdefault((d.region, search_form(d.title).text), []).append(d)
    return sorted((docs[0].title, sorted(d.source for d in docs)) for docs in groups.values() if len(docs) > 1)


# Plans taken out of the library are kept here, inside the plans folder (a hidden folder: no build reads it).
WITHDRAWN = ".withdrawn"


def withdraw_plan(name: str, data_dir: Path) -> str:
    """Take a plan out of the library without deleting it: the file (and its ``.meta.json`` sidecar) moves
    into the plans folder's hidden ``.withdrawn/`` folder under a dated name; the next build drops it from
    the index, and putting the file back brings it back. Returns the name it is kept under there."""
    data_dir = Path(data_dir)
    source = data_dir / name
    if Path(name).name != name or name.startswith(".") or source.is_symlink() or not source.is_file():
        raise UploadRefused(f"{name}：文件库中没有这个文件")
    with _folder_lock(data_dir):
        return _move_to_withdrawn(data_dir, name)


def _move_to_withdrawn(data_dir: Path, name: str) -> str:
    """Move the plan ``name`` (and its sidecar) into .withdrawn/ under a dated name; the caller holds the
    folder lock."""
    target = _withdrawn_name(data_dir, name)
    os.replace(data_dir / name, target)  # within one folder tree: a rename, never a copy that could stop half way
    sidecar = data_dir / f"{name}.meta.json"
    if sidecar.is_file() and not sidecar.is_symlink():
        os.replace(sidecar, target.with_name(f"{target.name}.meta.json"))
    return target.name


def _keep_withdrawn(data_dir: Path, name: str) -> str:
    """Keep the plan ``name`` as it is now in .withdrawn/ (a hard link, else a copy; its sidecar copied),
    leaving it in place for a new version to replace; the caller holds the folder lock."""
    target = _withdrawn_name(data_dir, name)
    try:
        os.link(data_dir / name, target)
    except OSError:
        shutil.copy2(data_dir / name, target)
    sidecar = data_dir / f"{name}.meta.json"
    if sidecar.is_file() and not sidecar.is_symlink():
        shutil.copy2(sidecar, target.with_name(f"{target.name}.meta.json"))
    return target.name


def _withdrawn_name(data_dir: Path, name: str) -> Path:
    """A free dated name in .withdrawn/ for the plan ``name``, short enough for its sidecar's name too (a
    long Chinese title is cut, its suffix kept: file names hold 255 bytes)."""
    kept = data_dir / WITHDRAWN
    kept.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem, suffix = Path(name).stem, Path(name).suffix
    while len(f"{stamp}-999-{stem}{suffix}.meta.json".encode()) > 255:
        stem = stem[:-1]
    for n in range(1, 1000):  # two withdrawals of one name in one second keep both
        target = kept / (f"{stamp}-{stem}{suffix}" if n == 1 else f"{stamp}-{n}-{stem}{suffix}")
        if not target.exists():
            return target
    raise UploadRefused(f"{name}：移出的文件过多，请先清理 {WITHDRAWN}/ 文件夹。")


@contextlib.contextmanager
def _folder_lock(data_dir: Path):
    with (data_dir / ".upload.lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    original: str
    saved: SavedUpload | None  # None when the file was refused
    error: str = ""  # the friendly reason it was refused


def save_uploads(files: list[tuple[str, bytes]], data_dir: Path, on_conflict: str = "rename") -> list[UploadOutcome]:
    """Save each upload on its own: one bad file is reported and the others still go in."""
    from indexer.errors import PlanSearchError

    from .messages import friendly

    out = []
    for name, data in files:
        try:
            out.append(UploadOutcome(name, save_upload(name, data, data_dir, on_conflict)))
        except PlanSearchError as err:
            out.append(UploadOutcome(name, None, f"{name}：{friendly(err)}" if not isinstance(err, UploadRefused) else str(err)))
    return out


def clash_words(existing: str, new: str) -> str:
    """What an upload clashes with: a file of the same name, or one whose name differs only in its
    extension (plan.docx beside plan.pdf: one document id, so the second is saved under another name)."""
    if Path(existing).suffix == Path(new).suffix:
        return f"文件库中已有同名文件 {existing}"
    return f"文件库中已有 {existing}，与新文件只差扩展名（文件编号相同）"


def outcome_line(outcome: UploadOutcome) -> str:
    """One Chinese line for the page."""
    if outcome.saved is None:
        return outcome.error
    s = outcome.saved
    return {
        "added": f"已保存 {s.name}（{s.title}）",
        "renamed": f"{clash_words(s.clash, s.name)}，新文件另存为 {s.name}（{s.title}）",
        "replaced": f"已用新文件覆盖 {s.name}（{s.title}），原文件已移入 {WITHDRAWN}/ 保存",
        "unchanged": f"{outcome.original} 与文件库中的 {s.name} 完全相同，未重复保存",
    }[s.status]
