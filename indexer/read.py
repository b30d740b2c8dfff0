"""read_plan(): a source file → ParsedPlan. Load → clean → structure → metadata → clauses → indicators."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .clauses import make_clauses, number_path
from .clean import clean_text
from .errors import UnreadableSource
from .lexical import tokenize
from .load import SUPPORTED_SUFFIXES, load_source
from .metadata import CATALOG, OVERRIDABLE, apply_overrides, infer_document, load_catalog, not_a_field
from .records import Clause, Heading, Indicator, ParsedPlan
from .structure import HeadingMark, Structure, parse_structure
from .tables import find_indicators
from .targets import prose_targets


def doc_id_for(name: str) -> str:
    """A stable id from the file name: its stem, with characters that would trouble a URL replaced."""
    stem = Path(name).stem
    return re.sub(r"[^\w\-.\u4e00-\u9fff]+", "_", stem).strip("_") or "document"


def doc_ids(names: list[str], known: dict[str, str] | None = None) -> dict[str, str]:
    """Each plan file's document id (by file name). Files whose names give one id (规划.txt beside 规划.docx
    with other text, 「青海 规划.txt」 beside 「青海_规划.txt」) are all indexed: the one that held the id in the
    last build (``known``: file name -> id, the first given first), else the first by name, keeps it;
    each other one gets it with a suffix from its own file name, so no id changes while its file stays."""
    known = known or {}
    first = {name: i for i, name in enumerate(known)}  # the order of ``known`` is the order of precedence
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names, key=lambda n: (first.get(n, len(first)), n)):  # the last build's ids first
        was = known.get(name)
        base = doc_id_for(name)
        if was and was not in taken:
            out[name] = was
        elif base not in taken:
            out[name] = base
        else:
            out[name] = f"{base}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}"
        taken.add(out[name])
    return out


def read_plan(
    path: str | Path, catalog: dict[str, dict[str, str]] | None = None, doc_id: str | None = None
) -> ParsedPlan:
    """Read one plan (as document ``doc_id``, by default the file name's ``doc_id_for``). Raises
    UnreadableSource (with the file and the reason) when it cannot."""
    path = Path(path)
    source = load_source(path)
    text = clean_text(source.text)
    if not text.strip():
        raise UnreadableSource(str(path), "no text left after cleaning")
    structure = parse_structure(text)
    doc_id = doc_id or doc_id_for(path.name)
    document = infer_document(
        text, (structure.body_span[0], structure.metadata_end), structure.title_line, doc_id=doc_id,
        source=path.name, sha256=source.sha256,
    )
    if source.ocr_pages:
        document = replace(document, ocr_pages=source.ocr_pages)
    document, problems = apply_overrides(document, path, catalog)
    clauses = make_clauses(text, structure, doc_id, document.region)
    indicators, indicator_clauses = _indicators(text, structure, document.doc_id, document.region)
    indicators += _prose_indicators(text, structure.headings, document, indicators)
    headings = [
        Heading(level=m.level, scheme=m.scheme, number=str(m.value), label=m.label, path=m.labels, span=(m.start, m.title_end))
        for m in structure.headings
    ]
    # A glossary is a top-level section of its own, without a number: the outline shows it, its terms under it.
    headings += [Heading(1, "glossary", "", g.label, (g.label,), g.head) for g in structure.glossaries]
    headings = tuple(sorted(headings, key=lambda h: h.span))
    return ParsedPlan(document, text, headings, tuple(clauses + indicator_clauses), tuple(indicators), problems)


def _indicators(text: str, structure: Structure, doc_id: str, region: str):
    indicators: list[Indicator] = []
    clauses: list[Clause] = []
    ids: set[str] = set()
    rows = list(find_indicators(text))
    for i, row in enumerate(rows, 1):
        mark = next((m for m in reversed(structure.headings) if m.start <= row.span[0]), None)
        # a row of a captioned table after an enumeration is the enumerating section's
        mark = next((b.parent for b in structure.blocks if b.start <= row.span[0] < b.end), mark)
        path = mark.labels if mark else ()
        main = Indicator(
            doc_id=doc_id,
            region=region,
            section_path=path,
            name=row.name,
            unit=row.unit,
            baseline_year=row.baseline_year,
            baseline=row.baseline,
            target_year=row.target_year,
            target=row.target,
            attribute=row.attribute,
            span=row.span,
            baseline_period=row.baseline_period,
            target_period=row.target_period,
        )
        # a table with targets for two years (目标值（2025年）, 目标值（2035年）): one record per target year
        indicators += [replace(main, target_year=year, target=value, target_period="") for year, value in row.more_targets]
        indicators.append(main)
        clause_id = f"{doc_id}:{number_path(mark)}.t{row.seq or i}"
        # a row without a number (a sub-row) must not take a numbered row's id, nor repeated numbers one id:
        # then the row's place among the document's rows names it (.r2: its second row)
        if clause_id in ids or (not row.seq and any(r.seq == str(i) for r in rows)):
            clause_id = f"{doc_id}:{number_path(mark)}.r{i}"
        ids.add(clause_id)
        clauses.append(
            Clause(
                clause_id=clause_id,
                doc_id=doc_id,
                region=region,
                section_path=path,
                number=row.seq,
                label=row.name,
                text=indicator_text(main, row.table_title, row.more_targets),
                span=row.span,
                kind="indicator",
            )
        )
    return indicators, clauses


def _prose_indicators(text: str, marks: tuple[HeadingMark, ...], document, tables: list[Indicator]) -> list[Indicator]:
    """Targets stated in sentences (到2025年，…达到3.6件) that no indicator table of the plan already has.
    They are not clauses of their own: the sentence is in its clause already. A year before the plan
    was signed is a result it reviews (到2020年底…增长到4.4件 in a 2022 plan), not a target."""
    signed = int(document.signed[:4]) if document.signed[:4].isdigit() else 0
    # The same target is often stated twice, in the text and in the table, under other words (每万人口
    # 有效发明专利拥有量达到1.5件 beside the table's 每万人口高价值发明专利拥有量 1.5): a prose target is the
    # table's when unit, value and year agree and the names share most of the shorter one's bigrams.
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for row in prose_targets(text):
        same = (row.name, row.unit, _value(row.target), row.target_year)
        if same in seen or int(row.target_year) < signed or any(_same_target(row, ind) for ind in tables):
            continue
        seen.add(same)
        mark = next((m for m in reversed(marks) if m.start <= row.span[0]), None)
        out.append(
            Indicator(
                doc_id=document.doc_id, region=document.region, section_path=mark.labels if mark else (), name=row.name, unit=row.unit,
                baseline_year="", baseline="", target_year=row.target_year, target=row.target, attribute="",
                span=row.span, origin="text",
            )
        )
    return out


def _same_target(row, ind: Indicator) -> bool:
    if (row.unit, _value(row.target)) != (ind.unit, _value(ind.target)):
        return False
    if ind.target_year and ind.target_year != row.target_year:
        return False
    a, b = set(tokenize(row.name, "bigram")), set(tokenize(ind.name, "bigram"))
    return bool(a and b) and len(a & b) >= 0.5 * min(len(a), len(b))


def _value(target: str) -> str:
    return re.sub(r"^[≥≤＞＜><约]+", "", target.strip()).rstrip("%％")


def value_when(year: str, period: str = "") -> str:
    """When a value holds: 2025年, or the five-year plan its column names with its years,
    “十四五”（2021—2025年) — a plan's value may be its five-year total, not a figure of its last year."""
    if period and year.isdigit():
        return f"“{period}”（{int(year) - 4}—{year}年）"
    return f"{year}年"


def indicator_text(ind: Indicator, table_title: str = "", more_targets: tuple[tuple[str, str], ...] = ()) -> str:
    """An indicator as a readable, searchable sentence (the row itself is a line of tab-separated cells)."""
    unit = f"（{ind.unit}）" if ind.unit else ""
    parts = []
    if ind.baseline_year:
        parts.append(f"{value_when(ind.baseline_year, ind.baseline_period)}：{ind.baseline or '—'}")
    parts += [f"{year}年目标：{value or '—'}" for year, value in more_targets]
    parts.append(f"{value_when(ind.target_year, ind.target_period)}目标：{ind.target or '—'}")
    attr = f"（{ind.attribute}）" if ind.attribute else ""
    prefix = f"{table_title}：" if table_title else ""
    return f"{prefix}{ind.name}{unit}，" + "，".join(parts) + attr


# The Ask page's example questions, written by the operator in the plans folder: not a plan.
EXAMPLES_FILE = "examples.txt"


def plan_files(data_dir: str | Path) -> list[Path]:
    """The plan files of a folder, sorted by name (sidecars, catalog, examples, READMEs and hidden files are not
    plans; links are followed only to files inside the folder). See ``scan_folder`` for what was left out."""
    return scan_folder(data_dir)[0]


def scan_folder(data_dir: str | Path) -> tuple[list[Path], list[UnreadableSource]]:
    """(plan files, files left out with the reason). A link leading outside the plans folder is never
    followed (it could expose any file on the server); a hidden file that looks like a plan is reported,
    other hidden files (editor swap files, .DS_Store) are ignored quietly."""
    data_dir = Path(data_dir)
    root = data_dir.resolve()
    plans: list[Path] = []
    skipped: list[UnreadableSource] = []
    for p in sorted(data_dir.iterdir()):
        name = p.name
        if name.endswith(".meta.json") or name.lower() in (CATALOG, EXAMPLES_FILE, "readme.md"):
            continue
        looks_like_plan = p.suffix.lower() in SUPPORTED_SUFFIXES
        if name.startswith("."):
            if looks_like_plan:
                skipped.append(UnreadableSource(str(p), "hidden file (its name starts with a dot); rename it to index it"))
            continue
        if p.is_symlink():
            try:
                target = p.resolve()
            except (RuntimeError, OSError):  # a link that loops
                skipped.append(UnreadableSource(str(p), "link that loops back on itself; not followed"))
                continue
            if not target.is_relative_to(root):
                skipped.append(UnreadableSource(str(p), "link to a file outside the plans folder; not followed"))
                continue
            if not target.exists():
                skipped.append(UnreadableSource(str(p), "broken link"))
                continue
        if p.is_dir():
            continue
        plans.append(p)
    return plans, skipped


@dataclass(frozen=True, slots=True)
class FolderCatalog:
    """The catalog rows a build applies (source -> fields) and, when data/catalog.csv cannot be used, why."""

    rows: dict[str, dict[str, str]]
    problems: tuple[UnreadableSource, ...] = ()


def folder_catalog(data_dir: str | Path, last: dict[str, dict[str, str]] | None = None) -> FolderCatalog:
    """The folder's catalog.csv; when it cannot be used, the rows the last build applied (``last``, from its
    manifest) instead of none: a catalog saved in another format must not drop every correction it held.
    A column that is no plan field is reported once and left out of the rows."""
    path = Path(data_dir) / CATALOG
    try:
        rows = load_catalog(Path(data_dir))
    except UnreadableSource as err:
        if not last:
            return FolderCatalog({}, (err,))
        reason = err.reason.removesuffix("; ignored")
        kept = f"{reason}; the last build's catalog ({len(last)} rows) is applied until it is fixed"
        return FolderCatalog(dict(last), (UnreadableSource(err.path, kept),))
    columns = sorted({k for row in rows.values() for k in row} - set(OVERRIDABLE))
    problems = tuple(UnreadableSource(str(path), not_a_field(k)) for k in columns)
    if columns:
        rows = {source: {k: v for k, v in row.items() if k in OVERRIDABLE} for source, row in rows.items()}
    return FolderCatalog(rows, problems)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name longer than a file name can be (a title pasted into the source column)
        return False


def read_folder(
    data_dir: str | Path, reuse: Callable | None = None, catalog: FolderCatalog | None = None,
    previous_ids: Callable[[Path, list[str]], dict[str, str]] | None = None,
) -> Iterator[ParsedPlan | UnreadableSource]:
    """Read every plan of a folder; a file that fails yields its error instead, the others still load.
    A catalog or a ``.meta.json`` sidecar that cannot be used is yielded as an error too, and ignored
    (``catalog``, when given, is the catalog to apply: ``folder_catalog``). Document ids are ``doc_ids``'s,
    keeping the last build's: ``previous_ids(folder, file names)`` gives them (``sources.SourceScan``).

    ``reuse(path, catalog)``, when given, is asked first for each plan file: what it returns instead of a
    parse (a build's record of an unchanged source, ``indexer.sources``, with its ``problems``), or None
    to read the file."""
    if catalog is None:
        catalog = folder_catalog(data_dir)
    yield from catalog.problems
    rows = catalog.rows
    paths, left_out = scan_folder(data_dir)
    yield from left_out
    for name in sorted(rows):
        if not _exists(Path(data_dir) / name):  # a typo, or a file renamed or withdrawn since
            yield UnreadableSource(str(Path(data_dir) / CATALOG), f"row {name}: no such plan file in the folder; unused")
    names = [p.name for p in paths if p.suffix.lower() in SUPPORTED_SUFFIXES]
    ids = doc_ids(names, previous_ids(Path(data_dir), names) if previous_ids is not None else None)
    for path in paths:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            yield UnreadableSource(str(path), f"unsupported file type {path.suffix or '(none)'}")
            continue
        kept = reuse(path, rows) if reuse is not None else None
        if isinstance(kept, UnreadableSource):  # known to hold no text (a blank scan): not read again
            yield kept
            continue
        if kept is not None:
            yield kept
            yield from kept.problems
            continue
        try:
            plan = read_plan(path, rows, ids[path.name])
        except UnreadableSource as err:
            yield err
            continue
        yield plan
        yield from plan.problems
