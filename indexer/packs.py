"""Domain knowledge kept as data: one file per pack in ``indexer/resources/``, not word lists in code.

    thesaurus.tsv       plain words → the words plans use (贷款 → 质押融资 贷款)
    english.tsv         English phrases → Chinese terms (patent pledge → 专利 质押)
    plan-terms.txt      plan terms jieba must keep whole (高价值发明专利)
    common-bigrams.txt  bigrams too common in plans to mean a match (知识, 产权 …)
    regions.tsv         the gazetteer (indexer/regions.py reads it)
    answer-types.tsv    the kinds of fact a question asks for, and how a clause states one (retrieval/asks.py)
    departments.tsv     the short and full names of one kind of department (人社 / 人力资源社会保障)

A ``.tsv`` pack maps a key to a value (``key<TAB>value``), a ``.txt`` pack lists one item a line; ``#``
starts a comment line. The index manifest records every pack's sha256 (``packs``), and a build reads
every plan again when a pack the index depends on (``BUILD_PACKS``) changed.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

PACKS = (
    "thesaurus.tsv", "english.tsv", "plan-terms.txt", "common-bigrams.txt", "regions.tsv", "answer-types.tsv",
    "departments.tsv",
)
BUILD_PACKS = ("plan-terms.txt", "regions.tsv")  # what an index's tokens and metadata depend on


def _text(name: str) -> str:
    if name not in PACKS:
        raise KeyError(f"no pack {name!r} (packs: {', '.join(PACKS)})")
    return resources.files("indexer.resources").joinpath(name).read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    return [line for line in _text(name).splitlines() if line.strip() and not line.startswith("#")]


@functools.cache
def mapping(name: str) -> dict[str, str]:
    """A ``key<TAB>value`` pack as a dict (file order kept)."""
    out: dict[str, str] = {}
    for line in _lines(name):
        key, _, value = line.partition("\t")
        if key.strip() and value.strip():
            out[key.strip()] = value.strip()
    return out


@functools.cache
def rows(name: str) -> tuple[tuple[str, ...], ...]:
    """A pack of tab-separated columns, one row a line (file order kept)."""
    return tuple(tuple(cell.strip() for cell in line.split("\t")) for line in _lines(name))


@functools.cache
def items(name: str) -> tuple[str, ...]:
    """A one-item-a-line pack."""
    return tuple(dict.fromkeys(line.strip() for line in _lines(name)))


@functools.cache
def digests() -> dict[str, str]:
    """The sha256 of every pack, for the manifest."""
    return {name: hashlib.sha256(_text(name).encode("utf-8")).hexdigest() for name in PACKS}


def build_digests() -> dict[str, str]:
    """The digests of the packs an index depends on (a change rebuilds it)."""
    return {name: digests()[name] for name in BUILD_PACKS}
