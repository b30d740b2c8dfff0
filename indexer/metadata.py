"""Document metadata inferred from the text (notice, title line, signature), overridable by a catalog.

Inference order for the region: the issuing body (青海省人民政府 → 青海省), then the title, then the
province or prefecture the text names most often. A catalog row (data/catalog.csv) or a sidecar file
(``<source>.meta.json``) overrides any field it fills.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

from .doctypes import DOC_TYPES, doc_type
from .errors import UnreadableSource
from .furniture import DOC_NUMBER, title_of
from .records import Document
from .regions import NATIONAL, Region, lookup, most_mentioned, region_at_start
from .structure import SIGNATURE
from .textnorm import simplify

_NOTICE_ISSUER = re.compile(r"^(?P<issuer>\S{2,40}?)(?:关于|關于|關於)(?:印发|印發)")
# A government order's head: 宁波市人民政府令 / 第256号 (its number is the order's own 文号, its issuer the body)
_ORDER = re.compile(r"^(?P<issuer>[^\s，。《》]{2,30}?(?:人民政府|政府))令\s*(?:\n\s*)?(?P<number>第\s*[\d０-９]+\s*号)", re.MULTILINE)
_HEADER_ISSUER = re.compile(r"^(?P<issuer>\S{2,40}?(?:人民政府|委员会|委員會|办公厅|辦公廳|办公室|辦公室|局))\s*文\s*件\s*$")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(?:发布日期|發布日期|发布时间|成文日期)\s*[:：]?\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_IN_FORCE = re.compile(r"\s*(?:起\s*)?施行")
_PRINTED = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*印发")
_NOTICE_TITLE = re.compile(r"(?:关于|關于|關於)(?:印发|印發)《?(?P<title>.+?)》?的?(?:通知|通告)")
# A title that names its issuer: 中共中央 国务院关于…的意见, 河南省人民代表大会常务委员会关于…的决议.
_TITLE_ISSUER = re.compile(
    r"^(?P<issuer>[^\s，。《》]{0,40}?(?:人民政府|委员会|國務院|国务院|中共中央|办公厅|办公室|政府|党委|局|厅|部|委)"
    r"(?:\s+[^\s，。《》]{0,30}?(?:国务院|人民政府|委员会|政府|办公厅|局|厅|部|委))*)\s*(?:关于|關於|關于|印发|转发|印發|轉發)"
)
__all__ = ["DOC_TYPES", "cite_names", "doc_type", "infer_document", "apply_overrides", "load_catalog", "read_sidecar"]


def _iso(m: re.Match | None) -> str:
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def infer_document(
    text: str, body_span: tuple[int, int], title_span: tuple[int, int] | None, *, doc_id: str, source: str, sha256: str
) -> Document:
    """Everything we can tell about a plan from its cleaned text."""
    front = text[: body_span[0]]
    tail = text[body_span[1] :]
    front_lines = [line.strip() for line in front.split("\n") if line.strip()]

    issuer = ""
    for line in front_lines:
        m = _NOTICE_ISSUER.match(line) or _HEADER_ISSUER.match(line)
        if m:
            issuer = m.group("issuer")
            break
    order = _ORDER.search(front)
    if not issuer and order:
        issuer = order.group("issuer")
    if not issuer:
        issuer = _signature(front_lines) or _signature([ln.strip() for ln in tail.split("\n") if ln.strip()])

    # The title as the document writes it; a headline's 《X》 when it issues X; lines of a title joined.
    title_line = "".join(part.strip() for part in text[title_span[0] : title_span[1]].split("\n")) if title_span else ""
    title = title_of(title_line)
    if not title:
        m = _NOTICE_TITLE.search(front)
        title = m.group("title") if m else ""
    title = title.strip("《》 ")
    if not issuer:
        m = _TITLE_ISSUER.match(title_line) or _TITLE_ISSUER.match(title)
        issuer = m.group("issuer") if m else ""

    region = _region(issuer, title, text, Path(source).stem)
    number = DOC_NUMBER.search(front) or DOC_NUMBER.search(tail)
    published = _iso(_ISO_DATE.search(front)) or _iso(_PRINTED.search(tail))
    # The signing date: the last date of the front, less a print date (…印发) and an in-force date (…施行).
    signed_dates = [m for m in _DATE.finditer(front) if not _PRINTED.match(front, m.start()) and not _IN_FORCE.match(front, m.end())]
    if not signed_dates:  # a plan signed at its end: the date under the signature
        signed_dates = [m for m in _DATE.finditer(tail) if not _PRINTED.match(tail, m.start())][:1]
    return Document(
        doc_id=doc_id,
        source=source,
        sha256=sha256,
        title=title or Path(source).stem,
        region=region.name if region else "",
        region_level=region.level if region else "",
        province=region.province if region else "",
        issuer=re.sub(r"\s+", " ", issuer).strip(),  # bodies signing side by side, a space apart
        # full-width digits as digits: 洛政〔２０２６〕１２号 → 洛政〔2026〕12号
        doc_number=re.sub(r"\s+", "", number.group(0) if number else _order_number(order)).translate(_DIGITS),
        signed=_iso(signed_dates[-1]) if signed_dates else "",
        published=published,
        doc_type=doc_type(title),
        body_span=body_span,
    )


def _order_number(order: re.Match | None) -> str:
    """宁波市人民政府令第256号: a government order's 文号 ("" without one)."""
    return f"{order.group('issuer')}令{order.group('number')}" if order else ""


def _signature(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        m = SIGNATURE.match(line)
        if m and (m.group("date") or (i + 1 < len(lines) and _DATE.match(lines[i + 1]))):
            return m.group("issuer")
    return ""


def _region(issuer: str, title: str, text: str, file_name: str = "") -> Region | None:
    """The region of the issuer, else of the title, else of the file's name (成都市武侯区…行动计划.pdf: a
    scan whose title is not read names the district there), else the one the text names most."""
    for name in (issuer, title, file_name):
        simple = simplify(name)
        if name != file_name and simple.startswith(("国务院", "国家", "中共中央", "全国")):
            return lookup(NATIONAL)  # (a file 国家级开发区….txt is no national plan: its name only names places)
        region = region_at_start(simple, simplify(text)) if simple else None
        if region:
            return region
    return most_mentioned(simplify(text))


CATALOG = "catalog.csv"  # the plans folder's table of metadata corrections


def not_a_field(key: str) -> str:
    """The reason for a catalog column or sidecar key that is no plan field."""
    return f"metadata field '{key}' is not a plan field ({', '.join(OVERRIDABLE)}); ignored"


def load_catalog(data_dir: Path) -> dict[str, dict[str, str]]:
    """data/catalog.csv: a ``source`` column plus any Document fields; empty cells override nothing.

    Raises UnreadableSource (naming the catalog) when it cannot be used; the plans still index without it."""
    path = Path(data_dir) / CATALOG
    if not path.is_file():
        return {}
    if not inside(path, Path(data_dir)):
        raise UnreadableSource(str(path), "catalog is a link to a file outside the plans folder; ignored")
    from .load import decode_text

    try:
        text = decode_text(str(path), path.read_bytes())
        head = text.split("\n", 1)[0]
        # Excel's 「Unicode text」 is tab-separated UTF-16
        dialect = "excel-tab" if "\t" in head and "," not in head else "excel"
        rows = list(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect))
    except UnreadableSource as err:
        raise UnreadableSource(str(path), f"catalog is not text ({err.reason}); ignored") from None
    except (OSError, csv.Error) as err:
        raise UnreadableSource(str(path), f"catalog cannot be read ({err}); ignored") from None
    if rows and "source" not in rows[0]:
        raise UnreadableSource(str(path), "catalog has no 'source' column naming each plan's file; ignored")
    return {
        row["source"]: {k: v for k, v in row.items() if isinstance(k, str) and k != "source" and isinstance(v, str) and v}
        for row in rows
        if row.get("source")
    }


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (followed through any link) lies inside ``folder``."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (RuntimeError, OSError):
        return False


def read_sidecar(source_path: Path) -> dict[str, str]:
    """``<file>.meta.json``: a JSON object of Document fields, or {} when there is none.
    Raises UnreadableSource (naming the sidecar) when it is not a readable JSON object."""
    sidecar = source_path.with_name(source_path.name + ".meta.json")
    if not sidecar.is_file():
        return {}
    if not inside(sidecar, source_path.parent):
        raise UnreadableSource(str(sidecar), "metadata file is a link to a file outside the plans folder; ignored")
    from .load import decode_text

    try:
        data = json.loads(decode_text(str(sidecar), sidecar.read_bytes()))
    except UnreadableSource as err:
        raise UnreadableSource(str(sidecar), f"metadata file is not text ({err.reason}); ignored") from None
    except ValueError as err:
        raise UnreadableSource(str(sidecar), f"metadata file is not valid JSON ({err}); ignored") from None
    except OSError as err:
        raise UnreadableSource(str(sidecar), f"metadata file cannot be read ({err.strerror or err}); ignored") from None
    if not isinstance(data, dict):
        raise UnreadableSource(str(sidecar), "metadata file must hold one JSON object of fields; ignored")
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int | float) and not isinstance(v, bool) and v}


def apply_overrides(
    document: Document, source_path: Path, catalog: dict[str, dict[str, str]] | None
) -> tuple[Document, tuple[UnreadableSource, ...]]:
    """Apply the catalog row and then the sidecar ``<file>.meta.json`` (the sidecar wins). A sidecar that
    cannot be used is returned as a problem and ignored: the plan keeps what was read from its text."""
    changes, problems = override_fields(Path(source_path), catalog)
    if "region" in changes and "region_level" not in changes:
        region = lookup(changes["region"])
        if region:
            changes.setdefault("region_level", region.level)
            changes.setdefault("province", region.province)
    return (replace(document, **changes) if changes else document), problems


def override_fields(
    source_path: Path, catalog: dict[str, dict[str, str]] | None
) -> tuple[dict[str, str], tuple[UnreadableSource, ...]]:
    """The fields the catalog row and then the sidecar set for the plan at ``source_path`` (``checked_fields``),
    and every problem with them: what ``apply_overrides`` applies and reports."""
    row, problems = checked_fields((catalog or {}).get(source_path.name, {}), source_path.parent / CATALOG,
                                   row=source_path.name)
    sidecar_path = source_path.with_name(source_path.name + ".meta.json")
    try:
        sidecar, sidecar_problems = checked_fields(read_sidecar(source_path), sidecar_path)
    except UnreadableSource as err:
        sidecar, sidecar_problems = {}, (err,)
    return {**row, **sidecar}, problems + sidecar_problems


# The fields a catalog row or sidecar may set: the rest are the file's own (doc_id, sha256 …) or derived.
OVERRIDABLE = tuple(f.name for f in fields(Document) if f.name not in
                    {"doc_id", "source", "sha256", "body_span", "ocr_pages", "cite_name"})
_WRITTEN_DATE = re.compile(r"((?:19|20)\d{2})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?|\s*年)?")


def checked_fields(
    overrides: dict[str, str], where: Path, row: str = ""
) -> tuple[dict[str, str], tuple[UnreadableSource, ...]]:
    """The fields of a catalog row (of the plan ``row``) or sidecar that can be applied, and a problem (naming
    ``where``) for each that cannot: a key that is no plan field, a date that is no date (dates are written
    back as ISO, 2021年3月5日 → 2021-03-05). A region the gazetteer does not know is applied as written, and
    said so."""
    out: dict[str, str] = {}
    problems = []

    def problem(reason: str) -> UnreadableSource:
        return UnreadableSource(str(where), f"row {row}: {reason}" if row else reason)

    for key, value in overrides.items():
        value = unicodedata.normalize("NFKC", value).strip() if key in ("signed", "published") else value.strip()
        if not value:
            continue
        if key not in OVERRIDABLE:
            problems.append(problem(not_a_field(key)))
            continue
        if key in ("signed", "published"):
            iso = _iso_date(value)
            if not iso:
                problems.append(problem(f"metadata date {key} '{value}' is not a date (write 2021-03-05); ignored"))
                continue
            value = iso
        if key == "region" and lookup(value) is None:
            problems.append(problem(f"metadata region '{value}' is not a known region; applied as written, "
                                    "its level and province as read"))
        out[key] = value
    return out, tuple(problems)


def _iso_date(value: str) -> str:
    """2021-03-05, 2021/3/5, 2021年3月5日, 2021-03, 2021 → ISO (as precise as written); '' for no date."""
    m = _WRITTEN_DATE.fullmatch(value)
    if not m:
        return ""
    year, month, day = m.group(1), m.group(2), m.group(3)
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return ""
    if day is None:
        return f"{year}-{int(month):02d}"
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return ""


_PERIOD_WORD = re.compile(r"[“”\"「」]?十[一二三四五六七八九]五[“”\"「」]?|(?:19|20)\d{2}\s*[—–-]\s*(?:19|20)\d{2}年?|(?:19|20)\d{2}年")


def cite_names(documents) -> dict[str, str]:
    """How short citations name each document whose region has others (青海省 · 一 is in both of 青海's):
    the region and its type where no other document of the region has that type (青海省 实施意见), else the
    region and the first words of its title after the region (普陀区 消防救援事业发展). Documents alone in
    their region are left out: the region names them."""
    by_region: dict[str, list[Document]] = {}
    for d in documents:
        if d.region:
            by_region.setdefault(d.region, []).append(d)
    out = {}
    for region, docs in by_region.items():
        if len(docs) < 2:
            continue
        types = Counter(d.doc_type for d in docs)
        own = {d.doc_id: _own_words(d) for d in docs}
        ordered = sorted(own.values())
        names = {}
        for d in docs:
            if d.doc_type and types[d.doc_type] == 1:
                word = d.doc_type
            else:  # the fewest of its title's first words (four characters at least) no other title starts with
                word = own[d.doc_id]
                for end in _word_ends(word):
                    if end >= 4 and _starting_with(ordered, word[:end]) == 1:
                        word = word[:end]
                        break
                word = word[:12]
            names[d.doc_id] = f"{region} {word}".strip()
        # two that still read alike (a 十三五 and a 十四五 plan of one name): each with its period or year
        alike = Counter(names.values())
        for d in docs:
            period = _PERIOD_WORD.search(simplify(d.title))
            if alike[names[d.doc_id]] > 1 and period:
                names[d.doc_id] += " " + period.group(0).strip("“”\"「」 ")
        out.update(names)
    return out


def _starting_with(ordered: list[str], prefix: str) -> int:
    """How many of the sorted strings start with ``prefix`` (two binary searches)."""
    return bisect.bisect_left(ordered, prefix + "\U0010ffff") - bisect.bisect_left(ordered, prefix)


def _own_words(d: Document) -> str:
    """A title's words after its region, without the period or the type: 上海市普陀区消防救援事业发展“十五五”
    规划 → 消防救援事业发展."""
    title = simplify(d.title)
    at = title.find(d.region)
    title = title[at + len(d.region):] if at >= 0 else title
    title = _PERIOD_WORD.sub("", title).strip("“”\"《》 ")
    if d.doc_type and title.endswith(d.doc_type):
        title = title[: -len(d.doc_type)]
    return title.removesuffix("的")


def _word_ends(text: str) -> list[int]:
    from .lexical import word_spans  # jieba: only for a region with several documents

    return [end for _, end in word_spans(text)]
