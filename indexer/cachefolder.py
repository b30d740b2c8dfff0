"""A folder of the model cache written whole or not at all (the converted model, its ONNX exports, the
jieba dictionary): written into a temporary sibling, then renamed into place, so a crash or a concurrent
process never leaves a half-written folder where a complete one is expected."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_whole(final: Path, write: Callable[[Path], None], complete: Callable[[Path], bool]) -> Path:
    """Write ``final`` through ``write(tmp)`` unless another process completes it first (``complete``);
    a stale or incomplete folder in its place is replaced. Readable by every user of a shared cache."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        write(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the cache may be shared
        if complete(final):  # another process finished first
            return final
        if final.exists():  # stale or incomplete leftover
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def readable(read: Callable[[Path], object]) -> Callable[[Path], bool]:
    """A ``complete`` test for ``write_whole``: the folder reads back through ``read`` without error."""

    def complete(folder: Path) -> bool:
        try:
            read(folder)
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return True

    return complete
