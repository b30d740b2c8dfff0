"""Chinese administrative regions: full names, levels, provinces and the short names people type.

The table (resources/regions.tsv, provinces, prefectures and counties) is read once, lazily.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

NATIONAL = "全国"

# 简称 of provincial-level regions. Single characters are only trusted in narrow contexts (see callers).
PROVINCE_ABBREVIATIONS = {
    "北京市": ("京",), "天津市": ("津",), "河北省": ("冀",), "山西省": ("晋",), "内蒙古自治区": ("蒙",),
    "辽宁省": ("辽",), "吉林省": ("吉",), "黑龙江省": ("黑",), "上海市": ("沪",), "江苏省": ("苏",),
    "浙江省": ("浙",), "安徽省": ("皖",), "福建省": ("闽",), "江西省": ("赣",), "山东省": ("鲁",),
    "河南省": ("豫",), "湖北省": ("鄂",), "湖南省": ("湘",), "广东省": ("粤",), "广西壮族自治区": ("桂",),
    "海南省": ("琼",), "重庆市": ("渝",), "四川省": ("川", "蜀"), "贵州省": ("黔", "贵"), "云南省": ("滇", "云"),
    "西藏自治区": ("藏",), "陕西省": ("陕", "秦"), "甘肃省": ("甘", "陇"), "青海省": ("青",), "宁夏回族自治区": ("宁",),
    "新疆维吾尔自治区": ("新",), "台湾省": ("台",), "香港特别行政区": ("港",), "澳门特别行政区": ("澳",),
}

# The levels of a Region, and the words people type for each (--level 省级, 区, 地级市).
LEVEL_WORDS = {
    NATIONAL: ("全国", "国家", "国家级", "中央"),
    "省": ("省", "省级", "省份", "自治区", "直辖市"),
    "市": ("市", "市级", "地级", "地级市", "地市"),
    "自治州": ("自治州", "州"),
    "地区": ("地区",),
    "盟": ("盟",),
    "区县": ("区县", "县区", "区", "县", "区级", "县级", "县级市", "旗"),
}


def level_named(word: str) -> str | None:
    """The level a typed word names (省级 → 省, 区 → 区县), or None."""
    word = word.strip()
    return next((level for level, words in LEVEL_WORDS.items() if word in words), None)


_AUTONOMOUS_PROVINCES = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏", "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆", "香港特别行政区": "香港", "澳门特别行政区": "澳门",
}
_ETHNIC = (
    "蒙古族|蒙古|藏族|回族|维吾尔|壮族|苗族|土家族|彝族|哈尼族|傣族|景颇族|白族|傈僳族|布依族|侗族|朝鲜族|哈萨克|"
    "柯尔克孜|羌族|黎族|瑶族|纳西族|仫佬族|毛南族|仡佬族|水族|畲族|土族|撒拉族|东乡族|保安族|裕固族|达斡尔族|"
    "鄂温克族|鄂伦春族|锡伯族|满族|佤族|拉祜族|布朗族|普米族|怒族|独龙族|阿昌族|德昂族|基诺族|各族|塔吉克"
)
_SUFFIX = re.compile(rf"(?:(?:{_ETHNIC})+)?(?:自治州|自治县|自治区|自治旗|特别行政区|地区|省|市|盟|县|区|旗)$")


@dataclass(frozen=True, slots=True)
class Region:
    name: str  # 博尔塔拉蒙古自治州
    level: str  # 全国 / 省 / 市 / 自治州 / 地区 / 盟 / 区县
    province: str  # 新疆维吾尔自治区 ('' for 全国)
    parent: str = ""  # the prefecture of a county, the province of a prefecture

    @property
    def short_names(self) -> tuple[str, ...]:
        """Names people type for this region: 青海, 泰安, 博尔塔拉, 博州 …"""
        return short_names(self.name, self.level)


@functools.lru_cache(maxsize=8192)  # asked for every region of the index on every query (find_regions)
def level_name(region: str, level: str) -> str:
    """A region's level as a reader calls it: 省 is the level of provinces, municipalities and autonomous
    regions alike, but 上海市 is a 直辖市 and 新疆维吾尔自治区 an 自治区, not a 省."""
    if level == "省":
        for kind in ("特别行政区", "自治区"):
            if region.endswith(kind):
                return kind
        if region.endswith("市"):
            return "直辖市"
    return level


def short_names(name: str, level: str) -> tuple[str, ...]:
    if level == NATIONAL:
        return ("全国", "国家")
    stem = _AUTONOMOUS_PROVINCES.get(name) or _SUFFIX.sub("", name)
    out = []
    if len(stem) >= 2 and stem != name:
        out.append(stem)
    if level == "自治州" and stem:
        out += [stem + "州", stem[0] + "州"]  # 博尔塔拉州, 博州
    if level == "盟" and stem:
        out.append(stem + "盟")
    return tuple(dict.fromkeys(n for n in out if n != name))


@functools.lru_cache(maxsize=1)
def all_regions() -> tuple[Region, ...]:
    text = resources.files("indexer.resources").joinpath("regions.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith(("#", "adcode"))]
    return (Region(NATIONAL, NATIONAL, ""),) + tuple(Region(name, level, prov, parent) for _, name, level, prov, parent in rows)


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, Region]:
    # Provinces and prefectures win over a county of the same name (朝阳区 exists many times; 泰安市 once).
    table: dict[str, Region] = {}
    for region in sorted(all_regions(), key=lambda r: 0 if r.level != "区县" else 1):
        table.setdefault(region.name, region)
    return table


def lookup(name: str) -> Region | None:
    """A region by its full name."""
    return _by_name().get(name)


@functools.lru_cache(maxsize=1)
def _name_pattern() -> re.Pattern:
    names = sorted((n for n in _by_name() if n != NATIONAL), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def region_at_start(text: str, context: str = "") -> Region | None:
    """The most specific region an issuing body or title starts with, at any level.

    泰安市人民政府办公室 → 泰安市; 上海市普陀区绿化和市容管理局 → 普陀区 (区县, 上海市); 浙江省金华市义乌市 → 义乌市.
    A county name alone (普陀区…) that several prefectures share is told apart by the province or
    prefecture ``context`` (the whole text) names most often.
    """
    m = _name_pattern().match(text)
    if m:
        region = lookup(m.group(0))
        if region and region.level == "区县":
            region = _disambiguate(m.group(0), context) or region
        return _descend(region, text, m.end()) if region else None
    for region in _prefectures_and_provinces():
        for short in region.short_names:
            if len(short) >= 2 and text.startswith(short):
                return _descend(region, text, len(short))
    return None


# A two-character county name (城区, 郊区, 矿区) right after its prefecture is only a county when an organ
# of government follows; otherwise it is a common word (泰安市城区建设).
_ORGAN_AFTER = re.compile(r"人民|政府|党委|委员会|[委局办厅]")


def _descend(region: Region, text: str, pos: int) -> Region:
    """Follow the names of the region's children written right after it: 上海市 + 普陀区, 苏州市 + 昆山市."""
    while True:
        child = next(
            (c for c in _children().get(region.name, ()) if text.startswith(c.name, pos)
             and (len(c.name) >= 3 or _ORGAN_AFTER.match(text, pos + len(c.name)))),
            None,
        )
        if child is None:
            return region
        region, pos = child, pos + len(child.name)


@functools.lru_cache(maxsize=1)
def _children() -> dict[str, tuple[Region, ...]]:
    """Regions by the name of their parent and of their province (municipalities' districts sit under
    the province itself), longest names first so 浦东新区 wins over a shorter prefix."""
    table: dict[str, list[Region]] = {}
    for region in all_regions():
        for up in {region.parent, region.province} - {"", region.name}:
            table.setdefault(up, []).append(region)
    return {k: tuple(sorted(v, key=lambda r: -len(r.name))) for k, v in table.items()}


def prefecture_of(name: str, level: str, province: str, title: str = "") -> str:
    """The prefecture a county-level region lies in (吴江区 → 苏州市), as the gazetteer knows it in its
    province; where two prefectures of the province have a county of that name (鼓楼区: 南京 and 徐州), the
    one the document's ``title`` names. '' for other levels, a municipality's districts, names it does not
    know and a name it cannot tell apart."""
    parents = _prefectures().get((name, province), ()) if level == "区县" else ()
    if len(parents) > 1:
        parents = tuple(p for p in parents if any(n in title for n in (p, *short_names(p, "市")) if len(n) >= 2))
    return parents[0] if len(parents) == 1 else ""


@functools.lru_cache(maxsize=1)
def _prefectures() -> dict[tuple[str, str], tuple[str, ...]]:
    table: dict[tuple[str, str], list[str]] = {}
    for r in all_regions():
        if r.level == "区县" and r.parent and r.parent != r.province:
            table.setdefault((r.name, r.province), []).append(r.parent)
    return {key: tuple(dict.fromkeys(parents)) for key, parents in table.items()}


def _disambiguate(name: str, context: str) -> Region | None:
    """Of the counties called ``name``, the one whose prefecture or province the context names most."""
    candidates = [r for r in all_regions() if r.name == name and r.level == "区县"]
    if len(candidates) < 2 or not context:
        return None
    def score(r: Region) -> int:
        names = {r.parent, r.province} | set(short_names(r.parent, "市")) | set(short_names(r.province, "省"))
        return sum(context.count(n) for n in names if n and len(n) >= 2)
    best = max(candidates, key=score)
    return best if score(best) else None


@functools.lru_cache(maxsize=1)
def _prefectures_and_provinces() -> tuple[Region, ...]:
    return tuple(r for r in all_regions() if r.level not in ("区县", NATIONAL))


def most_mentioned(text: str) -> Region | None:
    """The province or prefecture a text names most often by full or short name (≥ 2-character names)."""
    counts: dict[str, int] = {}
    for region in _prefectures_and_provinces():
        n = sum(text.count(name) for name in (region.name, *region.short_names) if len(name) >= 2)
        if n:
            counts[region.name] = n
    if not counts:
        return None
    best = max(counts.items(), key=lambda kv: (kv[1], -len(kv[0]), kv[0]))
    return lookup(best[0])
