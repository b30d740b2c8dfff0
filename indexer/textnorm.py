"""The search form of a text: NFKC, traditional → simplified Chinese, lowercase ASCII.

Documents and queries go through the same :func:`search_form`, so '堅持' finds '坚持', '２０２５' finds
'2025' and 'GDP' finds 'gdp'. The result keeps a map back to the original characters, because the
normalized text can differ in length ('㎡' → 'm2') and a highlight found in the search form has to land
on the characters the user sees.
"""

from __future__ import annotations

import functools
import unicodedata
from array import array
from dataclasses import dataclass, field

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A normalized text and, for each of its characters, the span of original text it came from.

    ``_starts`` has one entry per character plus a sentinel (the original length); ``_ends`` one per
    character. A character produced by expanding one original character ('㎡' → 'm', '2') maps to the
    whole original character; characters that map 1:1 map to exactly one original character.
    """

    text: str
    _starts: array = field(repr=False, hash=False)
    _ends: array = field(repr=False, hash=False)

    def __len__(self) -> int:
        return len(self.text)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``[start, end)`` of :attr:`text` to the span of original text it came from."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside the normalized text of length {len(self.text)}")
        if start == end:
            return self._starts[start], self._starts[start]
        return self._starts[start], self._ends[end - 1]


def search_form(text: str) -> NormalizedText:
    """Normalize ``text`` for search (NFKC, t2s, lowercase ASCII), keeping offsets to the original."""
    nfkc, starts, ends = _nfkc_with_map(text)
    simplified, source = _t2s_with_map(nfkc)
    if source is not None:  # t2s changed the length somewhere: compose the two maps
        starts = array("i", (starts[a] for a, _ in source))
        ends = array("i", (ends[b - 1] for _, b in source))
    starts.append(len(text))
    return NormalizedText(simplified.translate(_ASCII_LOWER), starts, ends)


def simplify(text: str) -> str:
    """Just the search form of ``text`` (for queries, which need no way back)."""
    return search_form(text).text


def to_simplified(text: str) -> str:
    """Traditional characters → simplified, nothing else changed (brackets, case and width kept): the
    form a citation of a traditional-character document also gives, for search and export."""
    if text.isascii():
        return text
    return _converter().convert(text)


@functools.cache
def _nfkc_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


def _nfkc_with_map(text: str) -> tuple[str, array, array]:
    """NFKC per character (a base plus its combining marks), so each output knows its source."""
    if unicodedata.is_normalized("NFKC", text):
        return text, array("i", range(len(text))), array("i", range(1, len(text) + 1))
    out: list[str] = []
    starts, ends = array("i"), array("i")
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = text[i:j]
        norm = _nfkc_char(cluster) if j == i + 1 else unicodedata.normalize("NFKC", cluster)
        if len(norm) == len(cluster):
            starts.extend(range(i, j))
            ends.extend(range(i + 1, j + 1))
        else:
            starts.extend([i] * len(norm))
            ends.extend([j] * len(norm))
        out.append(norm)
        i = j
    return "".join(out), starts, ends


@functools.cache
def _converter():
    # Loaded on first use, once: OpenCC reads its dictionaries from disk.
    import opencc

    return opencc.OpenCC("t2s")


def _t2s_with_map(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Traditional → simplified; the map is ``None`` when the length (hence the alignment) is kept.

    Otherwise each output character gets the ``(start, end)`` of input it came from. OpenCC converts
    whole phrases, and a phrase may change length, so lines that changed length are converted again
    character by character: less context, but an exact map.
    """
    if text.isascii():
        return text, None
    convert = _converter().convert
    converted = convert(text)
    if len(converted) == len(text):
        return converted, None
    out: list[str] = []
    source: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        line_converted = convert(line)
        if len(line_converted) == len(line):
            out.append(line_converted)
            source.extend((pos + k, pos + k + 1) for k in range(len(line)))
        else:
            for k, ch in enumerate(line):
                ch_converted = convert(ch)
                out.append(ch_converted)
                source.extend([(pos + k, pos + k + 1)] * len(ch_converted))
        pos += len(line)
    return "".join(out), source
