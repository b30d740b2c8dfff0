"""Whether a retrieved clause is one a judge named: same source file, and a section path that starts with
the judged one.

Judges write each heading of a path as the document prints it ("（三）促进知识产权高效益运用",
"第二章 节水管理", "第十二条"), and different writers shorten or spell titles differently, so two heading
elements are equal when their **numbers** are equal (scheme family and value, read with the indexer's
one heading grammar), and only headings without a number are compared by their text (search form,
without spaces or punctuation, one a prefix of the other).
"""

from __future__ import annotations

import functools
import re

from indexer.numbering import match_number
from indexer.textnorm import simplify

# Schemes a writer may type for the same level: 1. / 1、 are one family.
_FAMILY = {"n.": "n", "n、": "n"}
_PUNCT = re.compile(r"[\s\W_]+")


@functools.lru_cache(maxsize=65536)
def heading_key(element: str) -> tuple[str, str | int]:
    """('num', (family, value)) for a numbered heading, ('text', normalised text) otherwise."""
    text = simplify(str(element)).strip()
    number = match_number(text)
    if number is not None:
        return ("num", f"{_FAMILY.get(number.scheme, number.scheme)}:{number.value}")
    return ("text", _PUNCT.sub("", text))


def same_heading(judged: str, found: str) -> bool:
    a, b = heading_key(judged), heading_key(found)
    if a[0] != b[0]:
        return False
    if a[0] == "num":
        return a == b
    return bool(a[1]) and bool(b[1]) and (a[1].startswith(b[1]) or b[1].startswith(a[1]))


def matches(source: str, section_path: tuple[str, ...], judged: dict) -> bool:
    """A clause of ``source`` at ``section_path`` is under the judged ``{"source", "section"}``."""
    want = judged["section"]
    if source != judged["source"] or len(section_path) < len(want):
        return False
    return all(same_heading(w, f) for w, f in zip(want, section_path, strict=False))


def relevant(hit, judged: list[dict]) -> bool:
    return any(matches(hit.document.source, tuple(hit.clause.section_path), j) for j in judged)
