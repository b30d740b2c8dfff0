"""Tables and exports: the region comparison as CSV / Markdown, any table as CSV, numeric values.

Every CSV goes through ``table_csv``: a cell that a spreadsheet would run as a formula (starting with
= + - @, a tab or a carriage return) gets a leading ``'`` (OWASP, CSV injection). Markdown exports
escape document text with ``ui.safe.md``, so a title like ``[x](http://…)`` stays text in the file too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping

from indexer.regions import level_name
from retrieval.cite import cite
from retrieval.lists import list_lead
from retrieval.records import RegionCoverage

NOT_COVERED = "未找到直接相关条款"
PARTLY_COVERED = "仅部分词语与主题相符，可能并非直接相关"
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")  # -5, +1.5, -3%: a number, not a formula
COMPARE_FIELDS = [  # new columns go last
    "地区", "级别", "排名", "引用", "简短引用", "条款编号", "条款", "公文引用", "简体引用", "相关程度", "所属列举",
]


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading ``'``
    (a plain signed number such as -5 is left as it is: it cannot be a formula)."""
    text = "" if value is None else str(value)
    head = text.lstrip(" ")
    if head.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


def table_csv(rows: Iterable[Mapping[str, object]], fieldnames: list[str]) -> bytes:
    """Rows as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in fieldnames])
    writer.writerows([safe_cell(row.get(name, "")) for name in fieldnames] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def compare_rows(coverages: list[RegionCoverage], index=None) -> list[dict[str, str]]:
    """One row per (region, clause); a region without a covering clause gets one row saying so. With the
    ``index``, an item of a list carries the sentence that opens the list (所属列举), as the page shows it:
    （二）以专利权质押的； alone reads as a policy, not as a case of a duty."""
    rows = []
    for cov in coverages:
        if not cov.hits:
            rows.append({"地区": cov.region, "级别": level_name(cov.region, cov.region_level), "排名": "", "引用": NOT_COVERED,
                         "简短引用": "", "条款编号": "", "条款": ""})
        for i, hit in enumerate(cov.hits, 1):
            c = cite(hit.clause, hit.document)
            rows.append({"地区": cov.region, "级别": level_name(cov.region, cov.region_level), "排名": str(i), "引用": c.canonical,
                         "公文引用": c.official, "简体引用": c.simplified, "简短引用": c.short,
                         "条款编号": hit.clause_id, "条款": hit.clause.text,
                         "相关程度": "部分相关" if partly(cov, i - 1) else "直接相关",
                         "所属列举": list_lead(index, hit.clause) if index is not None else ""})
    return rows


def partly(cov: RegionCoverage, i: int) -> bool:
    """Whether the i-th clause shown for a region is only partly related (its own judge; the region's where
    none was kept)."""
    return cov.partial_hits[i] if i < len(cov.partial_hits) else cov.partial


def compare_csv(coverages: list[RegionCoverage], index=None) -> bytes:
    """The comparison as CSV."""
    return table_csv(compare_rows(coverages, index), COMPARE_FIELDS)


# In an exported Markdown file (read in a Markdown viewer, or pasted into a document as text) only what
# Markdown would read as markup is escaped: 17.5万平方米; and 10% stay as written (the app's own ``md``
# escapes every ASCII punctuation mark, for Streamlit's directives too).
_MARKUP = re.compile(r"([\\`*_\[\]<>|~])")
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|file|mailto|javascript|data):|\bwww\.")
_LINE_MARKUP = re.compile(r"^(\s*)(#+|[-+=]|\d+(?=[.)]))(?=[.)]?(?:\s|$))")


def md_file(text: object) -> str:
    """``text`` for one line of an exported Markdown file: markup characters escaped, and a line start that
    would make a heading, a list or a rule (``# ``, ``- ``, ``2. `` - a marker and a space; 2.加强 is text)
    escaped; line breaks as spaces."""
    flat = re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", "" if text is None else str(text))
    flat = _MARKUP.sub(r"\\\1", flat)
    flat = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], flat)  # http\:… www\.… link nothing
    return _LINE_MARKUP.sub(lambda m: m.group(1) + m.group(2) + "\\" if m.group(2)[0].isdigit() else m.group(1) + "\\" + m.group(2), flat)


def compare_markdown(topic: str, coverages: list[RegionCoverage], index=None) -> str:
    """The comparison as Markdown: one section per region, each clause quoted with its citation (all
    document text and the topic escaped); with the ``index``, an item of a list after the sentence that
    opens the list."""
    lines = [f"# 地区对比：{md_file(topic)}", ""]
    for cov in coverages:
        lines += [f"## {md_file(cov.region)}（{md_file(level_name(cov.region, cov.region_level))}）", ""]
        if not cov.hits:
            lines += [NOT_COVERED, ""]
        elif cov.partial:
            lines += [f"*{PARTLY_COVERED}*", ""]
        for i, hit in enumerate(cov.hits):
            c = cite(hit.clause, hit.document)
            lead = list_lead(index, hit.clause) if index is not None else ""
            lines_of = ([lead] if lead else []) + hit.clause.text.splitlines()
            quoted = "\n".join(f"> {md_file(line)}" for line in lines_of if line.strip())
            weak = f"（{PARTLY_COVERED}）" if partly(cov, i) and not cov.partial else ""
            lines += [quoted, "", f"—— {md_file(c.canonical)}{weak}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_number(value: str) -> float | None:
    """A plain number written in a plan ('1.5', '4078', '60%'); None for '——', '≥100', '显著提升' …"""
    text = (value or "").strip().replace(",", "").replace("，", "").rstrip("%％").strip()
    return float(text) if _NUMBER.fullmatch(text) else None
