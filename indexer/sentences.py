"""Sentences of a clause: the one definition, used to embed sentences (build) and to highlight them
(retrieval). A sentence ends at 。！？；(or their ASCII forms) with any closing quote or bracket, or at
a line end."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*[”’」』）)]*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of ``text`` as (start, end) spans, surrounding whitespace trimmed."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans
