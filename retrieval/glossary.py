"""English → Chinese terms of the plan domain, so English questions reach Chinese clauses.

The bundled embedder is weak across languages and BM25 sees no shared words at all; adding the Chinese
terms an English question names (patent pledge → 专利 质押) lets both retrievers work. Longest phrases
match first; matching is case-insensitive on word boundaries.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType

from indexer import packs

EMPTY: Mapping[str, str] = MappingProxyType({})


def terms() -> dict[str, str]:
    """English phrase → Chinese terms: the domain pack, and every province and prefecture of the gazetteer
    by its pinyin (Qinghai → 青海, Tai'an → 泰安), so no list of sample regions is needed."""
    return _terms()


@functools.lru_cache(maxsize=1)
def _terms() -> dict[str, str]:
    out = dict(region_names())
    out.update(packs.mapping("english.tsv"))  # a domain phrase wins over a place that spells the same
    return out


@functools.lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """The pinyin of the gazetteer's provinces and prefectures (without tones or suffix) → the Chinese
    short name. A pinyin two places share (山西 and 陕西 are both shanxi) maps to both."""
    from pypinyin import lazy_pinyin

    from indexer.regions import all_regions

    out: dict[str, list[str]] = {}
    for region in all_regions():
        if region.level == "区县" or not region.short_names:
            continue
        stem = region.short_names[0]
        if len(stem) < 2:
            continue
        syllables = [syl.lower() for syl in lazy_pinyin(stem)]
        # Xi'an, Tai'an: a syllable that starts with a vowel is written with or without the apostrophe
        marked = syllables[0] + "".join("'" + syl if syl[0] in "aeo" else syl for syl in syllables[1:])
        for spelled in dict.fromkeys(("".join(syllables), marked)):
            names = out.setdefault(spelled, [])
            if stem not in names:
                names.append(stem)
    return {k: " ".join(v) for k, v in out.items()}


@functools.lru_cache(maxsize=16)
def place_terms(names: tuple[str, ...]) -> Mapping[str, str]:
    """The pinyin of some county-level places' short names → the Chinese short name (吴江区: wujiang → 吴江).
    ``parse_query`` passes its index's county-level regions (``ParsedQuery.places``): the gazetteer's 2,800
    counties are too many to spell for every question (bole, dali … are English words or prefectures too),
    the index's own few are what it can find."""
    from pypinyin import lazy_pinyin

    from indexer.regions import short_names

    out: dict[str, str] = {}
    for name in names:
        stem = (short_names(name, "区县") or (name,))[0]
        if len(stem) >= 2:
            out.setdefault("".join(syl.lower() for syl in lazy_pinyin(stem)), stem)
    return MappingProxyType(out)  # (cached: shared by every question, so not to be changed)


_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@functools.lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    phrases = sorted(terms(), key=len, reverse=True)
    return re.compile(r"(?<![a-z])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z])", re.IGNORECASE)


def is_english(text: str) -> bool:
    """Mostly Latin words: at least two, and more Latin letters than Chinese characters."""
    words = _ASCII_WORD.findall(text)
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return len(words) >= 2 and sum(map(len, words)) > cjk


# English function words (a closed class): they carry no topic, so they neither need nor get a translation.
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at for from by with without about into over under and or but not no nor is are was were "
    "be been being do does did done will would shall should can could may might must has have had having it its "
    "this that these those there their they them he she his her we our you your i me my what which who whom whose "
    "when where why how whether if than then so such as any all each every some more most many much other also "
    "up out only very just".split()
)


def translated_share(text: str, places: Mapping[str, str] = EMPTY) -> float:
    """The share of an English text's content words that the glossary turns into Chinese terms: how much
    the lexical side (which sees only those terms) knows of the question. ``places``: ``place_terms``."""
    words = content_words(text)
    if not words:
        return 0.0
    covered = covered_words(text) | set(places)
    return sum(1 for w in words if w in covered) / len(words)


def content_words(text: str) -> list[str]:
    """An English text's words (lower case) less the function words, in order, repeats kept."""
    lowered = text.lower().replace("’", "'")
    return [w for w in re.findall(r"[a-z][a-z'-]+", lowered) if w not in _FUNCTION_WORDS]


def untranslated_words(text: str, places: Mapping[str, str] = EMPTY) -> list[str]:
    """The content words of an English text that no glossary phrase translates, in order, once each: what
    the lexical side cannot look for (the reader is told, so that a question in Chinese can be tried)."""
    covered = covered_words(text) | set(places)
    return list(dict.fromkeys(w for w in content_words(text) if w not in covered))


def covered_words(text: str) -> set[str]:
    """The words of an English text that some glossary phrase matching in it contains."""
    covered: set[str] = set()
    for m in _pattern().finditer(text.lower().replace("’", "'")):
        covered.update(re.findall(r"[a-z][a-z'-]+", m.group(1)))
    return covered


def chinese_terms(text: str, places: Mapping[str, str] = EMPTY) -> str:
    """The Chinese terms an English text names, in order of appearance, without repeats; ``places`` (see
    ``place_terms``) spells more places."""
    lowered = text.lower().replace("’", "'")
    found = [(m.start(), terms()[m.group(1).lower()]) for m in _pattern().finditer(lowered)]
    found += [(m.start(), places[m.group(0)]) for m in re.finditer(r"[a-z]+", lowered) if m.group(0) in places]
    seen: list[str] = []
    for _, found_terms in sorted(found, key=lambda f: f[0]):
        for term in found_terms.split():
            if term not in seen:
                seen.append(term)
    return " ".join(seen)
