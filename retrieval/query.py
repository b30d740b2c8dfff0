"""Query understanding: validation, normalization, regions, document types, section references, intent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from indexer.clean import clean_text
from indexer.doctypes import DOC_TYPES
from indexer.errors import EmptyQuery, QueryTooLong
from indexer.numbering import ANNEX, DOTTED, ORDINAL_WORDS, SCHEME_RANK, cn_to_int, int_to_cn, match_number
from indexer.regions import NATIONAL, PROVINCE_ABBREVIATIONS, prefecture_of, short_names
from indexer.targets import UNIT_PATTERN
from indexer.textnorm import simplify

from . import glossary
from .asks import asked
from .glossary import chinese_terms, is_english, translated_share
from .thesaurus import policy_terms

MAX_QUERY_CHARS = 500
# Lone UTF-16 surrogates: what Python makes of bytes that are not UTF-8 in a shell argument ($'\xff专利' →
# '\udcff专利') or of a JSON escape like "\udcff". No text can hold them (OpenCC and every encoder refuse).
SURROGATES = re.compile("[\ud800-\udfff]")

# The document types a question can name (the one list: indexer.doctypes), less those that are also
# everyday question words (有什么规定 / 措施 / 计划 / 政策, 决定, 通知, 行动, 要点 ask about content, not a type).
_EVERYDAY = frozenset({"规定", "措施", "计划", "决定", "通知", "要点", "行动", "政策", "清单"})
DOC_TYPE_WORDS = tuple(t for t in DOC_TYPES if t not in _EVERYDAY)
_YEAR_CN = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
_FIGURE = re.compile(
    r"多少|几[个件家项]|目标|指标|达到|比例|比重|增长率|数量|金额|满意度|百分|%|how (?:much|many)|target|percent|rate"
)
_RESPONSIBLE = re.compile(
    r"(哪|什么)(个|些|几个|几家|家)?(部门|单位|机构|机关)|谁(负责|牵头|来管|主管|来查|来抓)|由谁|"
    r"(负责|牵头|主管|责任|职责)(部门|单位|机构)|牵头|which (department|agency|body)|who is responsible|who leads|"
    r"responsible"
)
_HOW_MUCH = re.compile(r"多少|几[万千百十]?元|金额|数额|几成|比例是")
_LONE_REF_BEFORE = re.compile(r"(^|[^\u4e00-\u9fff]|规划|意见|方案|条例|办法|纲要)$")
_CN_BEFORE_BRACKET = re.compile(r"([一二三四五六七八九十]+)(?=\s*[.．]?\s*[（(]\s*[一二三四五六七八九十百]+\s*[）)])")
# What a citation may put between its numbers (青海 四.(一).2, 四 (一) 2, 四、（一）、2): skipped when the
# number after it is of a junior scheme (（一）、（二） lists two sections, and stays two references).
_REF_SEPARATOR = re.compile(r"\s*[.．、]\s*|\s+")
# A digit joined to the number before it (（四）2, 第四章2), unless a measure word makes it a quantity or a
# time limit (第十条30日内, （二）3家企业).
_BARE_DIGITS = re.compile(r"(\d{1,2})(?![\d.．%年件个万亿日天月周次项家名人元倍岁号期届户所批类种条款章节位台辆吨亩米小时分秒A-Za-zＡ-Ｚａ-ｚ])")
# A Chinese numeral with no 、 that ends its word (四 of 泰安市 · 四, 一 of 第一部分一「…」), and what may stand
# before one that is a whole reference by itself: the start, a space or the · of a short citation.
_BARE_CN = re.compile(r"([一二三四五六七八九十]+)(?=$|\s|「|[^\u4e00-\u9fff（(、])")
_STANDS_ALONE = re.compile(r"(?:^|\s|·)\s*$")
# What a lone numeral is followed by in a short citation (泰安市 四, 泰安市 · 四「…」, 青海 二1): the end, a lead
# in 「」 or the next number - not a comma (一，企业如何…) nor more words (中小企业 一 专利, 打 好 三 大 攻 坚 战).
_ENDS_SHORT_CITATION = re.compile(r"\s*$|「|\d")
# What stands between two sections named side by side (第三条和第五条, 第十条至第十二条, 1.和2.): two
# references, not one path.
_CONJUNCTION = re.compile(r"\s*(?:和|与|及|以及|或|或者|至|到|、|，|,|~|～|—|-)\s*")
_SENTENCE_END = re.compile(r"[。！？!?；;]")
# 第X部分, 第X项 and the words of official citations under them (第（三）项第2目第1点) name a level, not a scheme.
_ANY_LEVEL_WORDS = ("部分", "项", "目", "点")
_ANNEX_REF = re.compile(
    r"附\s*件\s*([一二三四五六七八九十]{1,3}|\d{1,2})"
    r"(?:[^\S\n]+(?=\d|[一二三四五六七八九十]+、?(?:\s|$))|(?=\s|第(?![\s\d一二三四五六七八九十]+页)|$|[·：:]))"
)  # (附件2第3项, 附件2 3, 附件2 三; not 附件2（申报表）, 附件2第3页 or 附件2所列)
_COMPARE = re.compile(r"各地|各省|各市|各州|哪些地方|哪些地区|哪些省|不同地区|各个地方|比较|对比|异同|across|compare|each region")
# 第X部分 / 第X章 … (the heading grammar's ordinal words) and the query-only 第X项.
_PART_REF = re.compile(
    r"第\s*[（(]?\s*([一二三四五六七八九十百\d]+)\s*[）)]?\s*(" + "|".join((*ORDINAL_WORDS, "项", "目(?![标的录])", "点")) + ")"
)


@dataclass(frozen=True, slots=True)
class SectionRef:
    """A reference to a numbered section: ((scheme, value), …) root first. Scheme '*' matches any."""

    numbers: tuple[tuple[str, int], ...]
    text: str  # as typed
    # the numbers written closely together, when ``numbers`` also joins numbers a heading's words stand
    # between (a copied section path): tried when ``numbers`` names no section
    fallback: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    raw: str
    text: str  # cleaned, as typed (the embedder sees ``embedding_text``)
    search_text: str  # NFKC + simplified + years as digits
    content_text: str = ""  # search_text less question words, named regions and the section reference
    regions: tuple[str, ...] = ()  # region or province names the query names
    doc_types: tuple[str, ...] = ()
    section_ref: SectionRef | None = None
    intent: str = "general"  # 'figure' | 'responsible' | 'compare' | 'general'
    asks: tuple[str, ...] = ()  # the kinds of fact asked for that a clause must state (retrieval/asks.py)
    # Regions the question is about (named first) of which the index holds no document: 福建省 …
    missing_regions: tuple[str, ...] = ()
    # For an English question, the share of its content words the glossary translated (the lexical side
    # sees only those); None for a Chinese question. Scales the lexical list in fusion.
    lexical_trust: float | None = None
    # The places an English question may spell beyond the gazetteer's provinces and prefectures: the pinyin
    # of the index's own county-level regions (glossary.place_terms), for its terms and untranslated words
    places: Mapping[str, str] = field(default_factory=lambda: glossary.EMPTY, compare=False)
    # The tokens the lexical side scores when they are not those of content_text: a clause as the query
    # of similar_to scores its most telling ones (ranking.salient_tokens).
    lexical_tokens: tuple[str, ...] | None = None
    # What the embedder sees ('' = ``text``): for a Chinese question its content words (and their policy
    # terms) without the question words and region names that every question shares and no clause says
    # (retrieval/eval/README.md); an English question as typed, the multilingual model reads it whole.
    dense_text: str = ""

    @property
    def embedding_text(self) -> str:
        return self.dense_text or self.text


@dataclass(frozen=True, slots=True)
class KnownRegion:
    name: str
    level: str
    province: str


def without_surrogates(text: str) -> str:
    """The text less any lone surrogate code point (undecodable input bytes), so the rest can be searched."""
    return SURROGATES.sub("", text)


def validate(raw: str) -> str:
    """The query stripped of undecodable characters and whitespace; EmptyQuery / QueryTooLong for what we
    cannot search."""
    text = without_surrogates(str(raw)).strip() if raw is not None else ""
    if not text:
        raise EmptyQuery("the question is empty: type a few words, e.g. 中小企业怎么用专利贷款")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(
            f"the question has {len(text)} characters; keep it under {MAX_QUERY_CHARS} (a sentence or two)"
        )
    return text


def years_to_digits(text: str) -> str:
    """二〇三五年 → 2035年 (plans write years both ways)."""
    return _YEAR_CN.sub(lambda m: str(cn_to_int(m.group(0))), text)


def parse_query(raw: str, regions: Iterable[KnownRegion] = ()) -> ParsedQuery:
    text = validate(raw)
    cleaned = clean_text(text).strip() or text  # strips HTML, markdown, odd spaces like source text
    regions = tuple(regions)
    english = is_english(cleaned)
    # the index's own county-level places by their pinyin (Wujiang → 吴江), beside the gazetteer's larger ones
    places = glossary.place_terms(tuple(r.name for r in regions if r.level == "区县")) if english else glossary.EMPTY
    terms = chinese_terms(cleaned, places) if english else ""
    if terms:  # both retrievers get the Chinese terms the English question names
        cleaned = f"{cleaned}（{terms}）"
    search_text = years_to_digits(simplify(cleaned))
    named = find_regions(search_text, regions)
    missing: tuple[str, ...] = ()
    if named and (opening := _topic_place(search_text)) and (others := namesakes(search_text, opening, named, regions)):
        named = tuple(n for n in named if n not in others)  # 北京市通州区: not the index's 通州区 of 南通市
        missing = () if named else (opening,)
    if not named and not missing and (topic := _topic_place(search_text)):
        missing = topic_places_missing(topic, regions)
        if not missing:  # 西宁市如何…: the question is about a place 青海省's plans cover
            named = topic_places_above(topic, regions)
    ref = find_section_ref(search_text)
    # English words match nothing in Chinese plans: the lexical side keeps only the translated terms
    content = _expand(content_words(years_to_digits(simplify(terms)) if terms else search_text, named, regions, ref))
    return ParsedQuery(
        raw=text,
        text=cleaned,
        search_text=search_text,
        content_text=content,
        regions=named,
        doc_types=tuple(w for w in DOC_TYPE_WORDS if w in search_text and not _inside(w, search_text)),
        section_ref=ref,
        intent=(intent := _intent(search_text)),
        # who sets 收费标准 asks for a body, not a sum (the fact asked for is who); who may apply and how much
        # (每家补贴多少元) asks for both
        asks=asked(search_text) if intent != "responsible" or _HOW_MUCH.search(search_text) else (),
        missing_regions=missing,
        lexical_trust=translated_share(text, places) if english else None,
        places=places,
        dense_text="" if english else content,
    )


# Words that ask rather than describe: they match nothing in a plan and only dilute the lexical side.
_QUESTION_WORDS = re.compile(
    r"由?哪个部门|由?哪些部门|由?哪家单位|谁负责|由谁|负责部门|责任单位|责任部门|主管部门|是多少|有多少|多少|是什么|有哪些|哪些|"
    r"怎么样|怎么|怎样|如何|为什么|什么|是否|能否|可以|需要|请问|一下|吗|呢|？|\?"
)


def content_words(search_text: str, named: tuple[str, ...], regions, ref) -> str:
    """The query less what it says about the search itself (question words, region, section number)."""
    text = search_text.replace(ref.text, " ") if ref else search_text
    names = set(named)
    for region in regions:
        if region.name in names or region.province in names:
            for name, level in ((region.name, region.level), (region.province, "省")):
                for n in sorted({name, *short_names(name, level)}, key=len, reverse=True):
                    if len(n) >= 2:
                        text = text.replace(n, " ")
    text = _QUESTION_WORDS.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip() or search_text


# What may stand before the place a question is about: 在福建…, 请问福建省…, 我在广州…, 对于江苏…
_LEAD = re.compile(r"^(?:请问|想问一下|想问|我想知道|我在|我们在|在|对于|关于|咨询)?[，,：:\s]*")


def namesakes(search_text: str, opening: str, named: tuple[str, ...], regions) -> tuple[str, ...]:
    """The indexed regions a question names right after the place it opens with, though they do not lie in
    it (北京市通州区 / 北京通州, where the index's 通州区 is 南通市's): the question is about that place's own
    namesake, not about them."""
    from .places import named_places

    start = _LEAD.match(search_text).end()
    place = next((r for r in named_places(search_text[start : start + 12]) if r.name == opening), None)
    if place is None:
        return ()
    head = search_text[start:]
    said = next((n for n in sorted(_names_of(place), key=len, reverse=True) if len(n) >= 2 and head.startswith(n)), "")
    after = head[len(said) :] if said else ""
    out = []
    for region in regions:
        if region.name not in named or region.name == opening or region.level in (NATIONAL, "省"):
            continue  # a province's name is its own, and 全国 no place (青海国家级…: 国家级 is a rank)
        above = {region.province, prefecture_of(region.name, region.level, region.province)}
        if opening not in above and after.startswith(tuple(n for n in _names_of(region) if len(n) >= 2)):
            out.append(region.name)
    return tuple(dict.fromkeys(out))


def topic_places_missing(topic: str, regions) -> tuple[str, ...]:
    """The place a question opens with (its topic, ``_topic_place``: 福建省对… / 在广州… / Fujian patent …),
    when no indexed document is about it. A place named later in the sentence (依托上海、深圳证券交易所) is a
    detail, not the topic."""
    from .places import missing_places

    return missing_places(topic, tuple(regions))


def topic_places_above(topic: str, regions) -> tuple[str, ...]:
    """For a question that opens with a place no indexed document is about but whose province's (or
    prefecture's) is (西宁市如何支持…, 在杭州…): those indexed regions, whose plans apply there."""
    from .places import covering_regions

    return covering_regions(topic, tuple(regions))


def _topic_place(search_text: str) -> str:
    """The name of the place a question opens with ('' if none): the opening of a Chinese question, or the
    place an English one starts with (Fujian patent pledge financing, in Xining …), as its Chinese name."""
    from .places import named_places

    english = _ENGLISH_OPENING.match(search_text)
    if english:  # a spelling two places share (taizhou: 泰州 and 台州) names neither
        names = glossary.region_names().get(english.group(1), "").split()
        return names[0] if len(names) == 1 else ""
    start = _LEAD.match(search_text).end()
    head = search_text[start : start + 12]
    opening = named_places(head)
    if not opening or not head.startswith(tuple(_names_of(opening[0]))):
        return ""
    return opening[0].name


# An English question that starts with a place (Fujian patent …, In Xining, how …): its first word.
_ENGLISH_OPENING = re.compile(r"^\s*(?:in\s+|for\s+)?([a-z]+(?:'[a-z]+)?)\b")


def _names_of(region) -> tuple[str, ...]:
    return (region.name, *short_names(region.name, region.level))


def _expand(content: str) -> str:
    """Add the policy terms that the query's plain words stand for (see thesaurus)."""
    extra = policy_terms(content)
    return f"{content} {extra}" if extra else content


def _intent(search_text: str) -> str:
    if _RESPONSIBLE.search(search_text):
        return "responsible"
    if _COMPARE.search(search_text):
        return "compare"
    return "figure" if _FIGURE.search(search_text) else "general"


def type_matches(asked: tuple[str, ...], doc_type: str) -> bool:
    """A document's type answers the type words of a question when one contains the other: 规划 and
    纲要 accept 规划纲要, 意见 accepts 实施意见; 规划 does not accept 纲要 or 条例."""
    return any(word in doc_type or (doc_type and doc_type in word) for word in asked)


def _inside(word: str, text: str) -> bool:
    # 意见 inside 实施意见 is not a second document type
    return any(longer != word and word in longer and longer in text for longer in DOC_TYPE_WORDS)


def find_regions(search_text: str, regions: Iterable[KnownRegion]) -> tuple[str, ...]:
    """Regions (and provinces) of the index that the query names: 青海, 博州, 泰安市, 山东 …, in the order of
    ``regions``. The names are looked up by the query's substrings (``RegionNames``, built once per tuple
    of regions), so a query costs the same with 4 regions or the gazetteer's 3,200."""
    return region_names(tuple(regions)).find(search_text)


class RegionNames:
    """Every name a query may call a region by (its own, its short names), each to the regions it names,
    and the provinces' single-character 简称, which are matched by a pattern where they cannot be part
    of a word (晋政发, 晋 规划, "晋 …" at the start)."""

    def __init__(self, regions: Iterable[KnownRegion]):
        self.names: list[str] = []  # each distinct region or province name once, in the order first met
        self.typed: dict[str, list[int]] = {}  # a name as typed -> positions in ``names``
        self.abbreviated: list[tuple[int, tuple[str, ...]]] = []
        seen: set[str] = set()
        for region in regions:
            for name, level in ((region.name, region.level), (region.province, "省")):
                if not name or name in seen:
                    continue
                seen.add(name)
                at = len(self.names)
                self.names.append(name)
                for typed in dict.fromkeys([name, *[s for s in short_names(name, level) if len(s) >= 2]]):
                    self.typed.setdefault(typed, []).append(at)
                abbreviations = PROVINCE_ABBREVIATIONS.get(name, ()) if level == "省" else ()
                if abbreviations:
                    self.abbreviated.append((at, tuple(abbreviations)))
        self.lengths = sorted({len(t) for t in self.typed})

    def find(self, search_text: str) -> tuple[str, ...]:
        hit: set[int] = set()
        for length in self.lengths:  # every substring of a typed name's length (queries are <= 500 characters)
            for start in range(len(search_text) - length + 1):
                found = self.typed.get(search_text[start : start + length])
                if found:
                    hit.update(found)
        for at, abbreviations in self.abbreviated:
            if at not in hit and any(re.search(rf"(^|\s){a}(\s|规划|省|政发)|{a}政发", search_text) for a in abbreviations):
                hit.add(at)
        return tuple(self.names[at] for at in sorted(hit))


_REGION_NAMES: dict[int, tuple[tuple[KnownRegion, ...], RegionNames]] = {}


def region_names(regions: tuple[KnownRegion, ...]) -> RegionNames:
    """The names of a tuple of regions, remembered for that tuple (a searcher asks with the same one every
    query)."""
    entry = _REGION_NAMES.get(id(regions))
    if entry is None or entry[0] is not regions:
        if len(_REGION_NAMES) >= 8:
            _REGION_NAMES.clear()
        entry = _REGION_NAMES[id(regions)] = (regions, RegionNames(regions))
    return entry[1]


def _number_at(text: str, i: int, previous: str | None) -> tuple[int, tuple[str, int]] | None:
    """A section number starting at ``i`` of a query: (end, (scheme, value)) or None. ``previous``: the
    scheme of a number that ends right at ``i`` (None when none does).

    Queries are typed loosely, and short citations join numbers without separators (四（三）3, 第四章2,
    第一部分一), so beyond the plan schemes this accepts 第(七)条 / 第十四部分 / 第2目 (any scheme),
    四（三） (一、 without its 、 before a bracket), a bare 2 right after another number (（四）2, 二1), a bare
    一 right after a 第X… number, and a bare 四 standing alone (泰安市 · 四).
    """
    m = _PART_REF.match(text, i)
    if m:
        value = cn_to_int(m.group(1)) or 0
        if "(" in m.group(0) or "（" in m.group(0):  # 第(七)条 names the （七） of a plan, whatever word follows
            return m.end(), ("（cn）" if not m.group(1).isdigit() else "（n）", value)
        return m.end(), ("*" if m.group(2) in _ANY_LEVEL_WORDS else "第" + m.group(2), value)
    m = _CN_BEFORE_BRACKET.match(text, i)
    if m and (i == 0 or not re.match(r"[一二三四五六七八九十百]", text[i - 1])):
        return m.end(), ("cn、", cn_to_int(m.group(1)) or 0)
    m = _ANNEX_REF.match(text, i)  # 附件2第3项, 附件2 3: an annex's number runs into what names its item
    if m and cn_to_int(m.group(1)):
        return m.end(), (ANNEX, cn_to_int(m.group(1)))
    after_part = previous is not None and (previous.startswith("第") or previous in ("*", ANNEX))
    if after_part or previous in ("cn、", "（cn）", "（n）"):
        m = _BARE_DIGITS.match(text, i)
        if m:
            return m.end(), ("n.", int(m.group(1)))
    num = match_number(text, i)
    if num is not None and num.scheme in DOTTED:
        return None  # a query's dotted number is read whole by _numbers_run, or is a decimal (23.5 月)
    if num is None or (num.scheme in ("n.", "n、") and i > 0 and text[i - 1].isdigit()):
        m = _BARE_CN.match(text, i)
        alone = previous is None and _STANDS_ALONE.search(text[:i]) and m and _ENDS_SHORT_CITATION.match(text, m.end())
        if num is None and m and (after_part or alone):
            value = cn_to_int(m.group(1))  # only a numeral as written for a number (not 十四五)
            return (m.end(), ("cn、", value)) if value and int_to_cn(value) == m.group(1) else None
        return None
    return num.end, (num.scheme, num.value)


def ref_head(pq: ParsedQuery) -> str:
    """The query before its section reference, where a citation names the document (普陀区消防规划 三、(二))."""
    ref = pq.section_ref
    at = pq.search_text.find(ref.text) if ref else -1
    return pq.search_text[:at] if at > 0 else ""


# An indicator's citation: the section, then 指标 and the row's number or name (泰安市 · 二（三） 指标 3,
# 《…》 一、总体要求 （三）主要目标 指标：知识产权质押融资金额, …之“知识产权质押融资金额”).
_INDICATOR_REF = re.compile(r"指标[：:\s]+(?P<what>[^。\n]+)$|之[“\"](?P<quoted>[^”\"]+)[”\"]\s*$")


def ref_indicator(pq: ParsedQuery) -> str:
    """What a section reference names after the section: an indicator's row number or name ('' if none).
    The last 指标 counts (…2.主要指标 指标：主海塘达标率)."""
    if pq.section_ref is None:
        return ""
    after = pq.search_text[pq.search_text.find(pq.section_ref.text) + len(pq.section_ref.text) :]
    at = after.rfind("指标")
    m = _INDICATOR_REF.search(after, max(at, 0)) if at >= 0 or "之" in after else None
    return (m.group("what") or m.group("quoted")).strip() if m else ""


def section_ref_tries(ref: SectionRef) -> list[tuple[tuple[str, int], ...]]:
    """The number paths to look a reference up by, in turn, until one names a section: as written, then
    whatever the schemes within their family (第七条 in a plan numbered （七）; see :func:`loose_fit`), then
    the same for its closely written numbers."""
    if ref.numbers == PREFACE:
        return [PREFACE]  # the preamble: the empty path, which every candidate (preamble rows only) matches
    tries: list[tuple[tuple[str, int], ...]] = []
    for numbers in (ref.numbers, ref.fallback):
        if numbers:
            tries.append(numbers)
            # a dotted path (4.3.3) is how a Chinese-numbered plan's 四（三）3 is often typed: any family
            dotted = any(scheme in DOTTED for scheme, _ in numbers)
            loose = tuple(("*" if dotted and scheme != ANNEX else _loose(scheme), v) for scheme, v in numbers)
            if loose != numbers:
                tries.append(loose)
    return tries


# A reference looked up whatever its schemes keeps its numbers' family: a Chinese numeral typed bare or in
# brackets (四, （一）) names a section numbered in Chinese (一、, （一）, 第四章), an Arabic one (2, （2）) one
# numbered in digits; 第X条/部分/项/目 (an official citation's words: 第（三）项第2条 is the item 2.) names
# any; an annex only an annex.
_CN_FAMILY = ("cn、", "（cn）")
_DIGIT_FAMILY = ("n.", "n、", "（n）", "①", *DOTTED)


def _loose(scheme: str) -> str:
    if scheme == ANNEX or scheme.startswith("*"):
        return scheme
    return "*cn" if scheme in _CN_FAMILY else "*n" if scheme in _DIGIT_FAMILY else "*"


# The numbering schemes that count as the same when a reference is matched (1. and 1、 are one scheme).
EQUIVALENT_SCHEMES = {"n.": "n.", "n、": "n.", "（n）": "（n）", "cn、": "cn、", "（cn）": "（cn）"}


def canonical_scheme(scheme: str) -> str:
    return EQUIVALENT_SCHEMES.get(scheme, scheme)


def scheme_fits(wanted: str, have: str) -> bool:
    """Whether a reference's number of scheme ``wanted`` may name a heading numbered ``have``: the same
    scheme (1. and 1、 alike), or a looked-up one's family (:func:`loose_fit`)."""
    return loose_fit(wanted, have) if wanted.startswith("*") else canonical_scheme(wanted) == canonical_scheme(have)


def loose_fit(wanted: str, have: str) -> bool:
    """Whether a looked-up scheme (``*``, ``*cn``, ``*n``: see :func:`section_ref_tries`) admits a
    heading's scheme."""
    if wanted == "*cn":
        return have in _CN_FAMILY or have.startswith("第")
    if wanted == "*n":
        return have in _DIGIT_FAMILY
    return wanted == "*"


def _junior(scheme: str, previous: str | None) -> bool:
    """Whether a number of ``scheme`` may follow one of ``previous`` in one path (（一） then 2)."""
    rank = SCHEME_RANK.get(scheme)
    return previous is not None and rank is not None and rank > SCHEME_RANK.get(previous, -2)


# A reference to a preamble: 前言 closing the query, after a region, a title or nothing.
PREFACE: tuple[tuple[str, int], ...] = ()
_PREFACE = re.compile(r"(?:^|(?<=[\s·》」』”市省区县州盟旗]))前言\s*$")  # 泰安市前言 too, not 规划前言


def find_section_ref(search_text: str) -> SectionRef | None:
    """青海 四、(一)2. → ((cn、,4), (（cn）,1), (n.,2)); 山西规划第（十四）部分 → ((*,14),).

    Numbers within a few characters of each other make one reference; so do numbers with a heading's
    words between them, as a copied section path writes them (二、重点任务 （一）建设… 2.构建…): that longer
    reference is tried first, the closely written one (``SectionRef.fallback``) if it names no section."""
    close = _numbers_run(search_text, loose=False)
    if close is None:
        # 泰安市 · 前言, 《…》前言: a document's preamble, which has no number (PREFACE: its empty path)
        m = _PREFACE.search(search_text)
        return SectionRef(PREFACE, m.group(0).strip()) if m else None
    numbers, text = close
    numbers = _in_headings(numbers)
    if not numbers:
        return None
    if len(numbers) == 1 and numbers[0][0] in ("n.", "n、", "（n）", "①"):
        return None  # a lone "2." is too weak to be a reference
    if len(numbers) == 1 and numbers[0][0] == "cn、" and not _LONE_REF_BEFORE.search(search_text[: search_text.find(text)]):
        return None  # 统一、规范: a lone 一、 inside a phrase is no reference
    loose = _numbers_run(search_text, loose=True)
    if loose is not None and len(_in_headings(loose[0])) > len(numbers) and text in loose[1]:
        return SectionRef(_in_headings(loose[0]), loose[1], fallback=numbers)
    return SectionRef(numbers, text)


def _in_headings(numbers: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """A reference's numbers less its 第X款: a regulation's paragraphs are the text of its article, not
    headings (北京节水条例第二十五条第二款 opens 第二十五条; 第十条第二款 is not 第十条（二）)."""
    return tuple(n for n in numbers if n[0] != "第款")


# A dotted section number in a query (黄埔区 4.1.2, 第4.1.2节): standing alone, not a decimal (3.4倍, 1.5件)
_DOTTED_REF = re.compile(
    rf"(?:(?<=^)|(?<=[\s·第]))(\d{{1,2}}(?:[.．]\d{{1,2}}){{1,3}})(?=$|节|条|「|[（(]|\s+(?!(?:{UNIT_PATTERN}|倍|万|亿|%|％)))"
)


def _numbers_run(search_text: str, loose: bool) -> tuple[tuple[tuple[str, int], ...], str] | None:
    """The longest run of section numbers in a query and its text. Two numbers are of one run when at most
    12 characters stand between them, or (``loose``) the words of a heading: up to 60 characters with no
    sentence punctuation."""
    best: list[tuple[str, int]] = []
    best_text = ""
    run: list[tuple[str, int]] = []
    run_start = run_end = 0
    previous: str | None = None
    i = 0
    while i < len(search_text):
        # 4.1.2 opening a reference: three numbers, 4 then 4.1 then 4.1.2 (after another number it is a
        # decimal or that number's own: 泰安 二（四） 2.1)
        dotted = _DOTTED_REF.match(search_text, i)
        if dotted is not None:
            parts = [int(p) for p in re.split(r"[.．]", dotted.group(1))]
            entries = [("n.", parts[0])] + [(DOTTED[k], v) for k, v in enumerate(parts[1:])]
            near = run and i - run_end <= 12
            if near and run[-(len(entries) - 1) :] != entries[:-1]:  # continuing 5.投资估算 with 5.1 only
                dotted = None
        if dotted is not None:
            found = dotted.end(1), entries[0]
        else:
            found = _number_at(search_text, i, previous if run and i == run_end else None)
            entries = [found[1]] if found else []
        if found is None and run and i == run_end and (sep := _REF_SEPARATOR.match(search_text, i)):
            following = _number_at(search_text, sep.end(), previous)
            if following is not None and _junior(following[1][0], previous):
                run_end = i = sep.end()  # the separator belongs to the reference: the next number continues it
                continue
        if found is None:
            i += 1
            continue
        num_end, entry = found
        gap = search_text[run_end:i]
        far = len(gap) > 12 and not (loose and len(gap) <= 60 and not _SENTENCE_END.search(gap))
        if run and (far or _CONJUNCTION.fullmatch(gap)):
            if len(run) > len(best):  # too far from the previous number, or another reference: a new run
                best, best_text = run, search_text[run_start:run_end]
            run = []
        if not run:
            run_start = i
        if dotted is not None:  # 4.建设任务 4.1 …: the dotted number restates its parents, which count once
            while run and run[-1] in entries[:-1]:
                run.pop()
        run.extend(entries)
        run_end = num_end
        previous = entries[-1][0]
        i = num_end
    if len(run) > len(best):
        best, best_text = run, search_text[run_start:run_end]
    return (tuple(best), best_text) if best else None
