"""Regions a question names, from the whole gazetteer (not only the regions of the index), so that a
question about a region with no plan in the index can say so instead of answering with another
region's clause as if it were that region's.

    named_places("福建省对专利侵权纠纷有什么处理办法？")   # (Region('福建省', '省', '福建省'),)

Full names (福建省, 广州市, 崇明区) always count. Short names (福建, 广州) count for provinces, and for
prefectures only where they read as a place: followed by a non-Chinese character, the end, or one of a
few words that follow a place name (的, 对, 在, 规划, 条例 …), or — followed by any other word (武汉私自…,
哈尔滨冬天…) — where jieba's general dictionary tags the name as a place name (``ns``) and no longer word of
that dictionary starts there (中山大学) or runs across either edge of it (创新|乡村, 新|乡贤). A prefecture's short name inside a word (大同小异, 人民安康: jieba
tags 大同 and 安康 otherwise) does not. Counties count by full name only, and not when the name is made of
everyday words of direction or position (城区, 老城区, 市中区, 郊区: they also just mean "the town").
A name that several regions share (鼓楼区, 普陀区, 朝阳区) stands for all of them. Matching is longest
first, without overlap.
"""

from __future__ import annotations

import functools

from indexer.regions import NATIONAL, Region, all_regions, lookup

# What may follow a prefecture's short name for it to read as a place (a closed class of function words
# and document words, not a list of regions).
_AFTER_PLACE = "的对在有和与及、，,。？?！!：:（(）)规条办意方纲怎如是要将会地有当全各市州盟区县省"
# Characters of county names that are also everyday words for a part of any town (城区, 市中区, 新城区).
_GENERIC = frozenset("东西南北中城郊矿新老市内外上下前后")


@functools.lru_cache(maxsize=1)
def _names() -> tuple[dict[str, tuple[tuple[Region, ...], bool]], tuple[int, ...]]:
    """Every name we match → (the regions of that name, whether it needs a place-like context), and the
    lengths names have, longest first. (A regex alternation of the ~4,000 names took 0.2–0.9 s to
    compile, in the first question after a start; a scan looks up a short question in microseconds.)"""
    table: dict[str, tuple[int, list[Region], bool]] = {}  # name → (priority, regions, guarded)
    for region in all_regions():
        if region.level == NATIONAL:
            continue
        county = region.level == "区县"
        if county and set(region.name[:-1]) <= _GENERIC:
            continue
        priority = 2 if county else (0 if region.level == "省" else 1)
        candidates = [(region.name, False)]
        if not county:
            # an autonomous prefecture's or league's short name that ends in 州 or 盟 (博州, 湘西州) says it is a
            # place by its own last character (a city's, 苏州 of 苏州河, does not)
            own_word = region.level in ("自治州", "盟")
            candidates += [(s, region.level != "省" and not (own_word and s.endswith(("州", "盟"))))
                           for s in region.short_names if len(s) >= 2]
        for name, guarded in candidates:
            if name not in table or table[name][0] > priority:
                table[name] = (priority, [region], guarded)
            elif table[name][0] == priority:
                table[name][1].append(region)
    lengths = tuple(sorted({len(n) for n in table}, reverse=True))
    return {n: (tuple(rs), g) for n, (_, rs, g) in table.items()}, lengths


def _matches(text: str, table, lengths):
    """Name matches as a regex alternation of the names, longest first, finds them: at each position
    the longest name there, then on past it (no overlaps)."""
    i, n = 0, len(text)
    while i < n:
        for size in lengths:
            if i + size <= n and text[i : i + size] in table:
                yield i, i + size
                i += size
                break
        else:
            i += 1


def named_places(text: str) -> tuple[Region, ...]:
    """The regions ``text`` names (simplified Chinese), in order of first mention, each once; a name
    several regions share gives all of them."""
    return tuple(r for group in _named_groups(text) for r in group)


def _named_groups(text: str) -> list[tuple[Region, ...]]:
    table, lengths = _names()
    groups: list[tuple[Region, ...]] = []
    for start, end in _matches(text, table, lengths):
        regions, guarded = table[text[start:end]]
        if guarded:
            after = text[end : end + 1]
            if after and "\u4e00" <= after <= "\u9fff" and after not in _AFTER_PLACE and not _place_word(text, start, end):
                continue
        if regions not in groups:
            groups.append(regions)
    return groups


def prepare() -> None:
    """Read now what matching place names needs (the gazetteer's names, the dictionary's place words), so
    that the first question naming a place followed by an ordinary word does not wait ~0.5 s for it (the
    app's warm-up calls this)."""
    _names()
    _dictionary_places()


def _place_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (a short name followed by an ordinary word) still reads as a place: the
    general dictionary tags it as one, no longer dictionary word starts where it does (中山大学), and no
    dictionary word runs across either of its edges (创新|乡村 and 新|乡贤 are not 新乡, 振兴|安排 not 兴安)."""
    places, longer, crossing = _dictionary_places()
    if text[start:end] not in places:
        return False
    if any(text[start:stop] in longer for stop in range(end + 1, min(len(text), end + 4) + 1)):
        return False
    spans = [(b, e) for b in range(max(0, start - 3), start) for e in range(start + 1, min(len(text), end + 3) + 1)]
    spans += [(b, e) for b in range(start + 1, end) for e in range(end + 1, min(len(text), end + 3) + 1)]
    return not any(text[b:e] in crossing for b, e in spans)


@functools.lru_cache(maxsize=1)
def _dictionary_places() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(the guarded short names that jieba's dictionary tags as place names; the dictionary's longer words
    that start with one of them: 中山大学; its words that would run across the edge of one: 创新, 乡贤),
    read once, when a question first names a place followed by an ordinary word (~0.4 s)."""
    from indexer.jieba_dict import dictionary_file

    table, _ = _names()
    guarded = {name for name, (_, needs_context) in table.items() if needs_context}
    sizes = sorted({len(name) for name in guarded})
    heads = {name[:size] for name in guarded for size in range(1, len(name))}  # 新 of 新乡
    tails = {name[-size:] for name in guarded for size in range(1, len(name))}  # 乡 of 新乡
    places, longer, crossing = set(), set(), set()
    with open(dictionary_file(), encoding="utf-8") as lines:
        for line in lines:
            word, _, rest = line.partition(" ")
            if word in guarded:
                if rest.split()[-1:] == ["ns"]:
                    places.add(word)
                continue
            if any(word[:size] in guarded for size in sizes if size < len(word)):
                longer.add(word)
            if any(word[k:] in heads or word[:k] in tails for k in range(1, len(word))):
                crossing.add(word)
    return frozenset(places), frozenset(longer), frozenset(crossing)


@functools.lru_cache(maxsize=8)
def _coverage(indexed: tuple) -> tuple[frozenset[str], frozenset[str]]:
    """(the indexed regions, the regions above them: their provinces and parents), once per index."""
    regions = {r.name for r in indexed if r.name}
    above = {r.province for r in indexed if r.province}
    above |= {found.parent for r in indexed if (found := lookup(r.name)) is not None and found.parent}
    return frozenset(regions), frozenset(above)


def missing_places(text: str, indexed) -> tuple[str, ...]:
    """Places ``text`` names that no indexed document is about. A region is covered by a document of
    itself, of a region above it (a province's plan covers its cities), or below it (山东 names the
    province of an indexed 泰安市; a prefecture, its indexed county); a neighbour's document does not
    cover it (泰安 does not cover 济南). A name several regions share is missing only if none is covered.

    ``indexed`` holds the index's regions (objects with ``name`` and ``province``)."""
    regions, above = _coverage(tuple(indexed))
    missing = []
    for group in _named_groups(text):
        if any(r.name in regions or r.name in above or r.parent in regions or r.province in regions for r in group):
            continue
        missing.append(group[0].name)
    return tuple(missing)


def covering_regions(text: str, indexed) -> tuple[str, ...]:
    """The indexed regions above the places ``text`` names that have no document of their own or of a
    region below them (西宁市 → 青海省: the province's plans are the ones that apply there), in order, each
    once; () when a place has its own document, or none above it."""
    regions, above = _coverage(tuple(indexed))
    out: list[str] = []
    for group in _named_groups(text):
        if any(r.name in regions or r.name in above for r in group):
            return ()
        for name in (name for r in group for name in (r.parent, r.province)):
            if name in regions and name not in out:
                out.append(name)
    return tuple(out)

