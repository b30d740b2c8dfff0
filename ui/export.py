"""Tables and exports: the region comparison as CSV / Markdown, the indicators as rows, numeric values."""

from __future__ import annotations

import csv
import io
import re

from retrieval.cite import cite
from retrieval.records import RegionCoverage

NOT_COVERED = "未找到直接相关条款"
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def compare_rows(coverages: list[RegionCoverage]) -> list[dict[str, str]]:
    """One row per (region, clause); a region without a covering clause gets one row saying so."""
    rows = []
    for cov in coverages:
        if not cov.hits:
            rows.append({"地区": cov.region, "级别": cov.region_level, "排名": "", "引用": NOT_COVERED,
                         "简短引用": "", "条款编号": "", "条款": ""})
        for i, hit in enumerate(cov.hits, 1):
            c = cite(hit.clause, hit.document)
            rows.append({"地区": cov.region, "级别": cov.region_level, "排名": str(i), "引用": c.canonical,
                         "简短引用": c.short, "条款编号": hit.clause_id, "条款": hit.clause.text})
    return rows


def compare_csv(coverages: list[RegionCoverage]) -> bytes:
    """The comparison as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly)."""
    rows = compare_rows(coverages)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["地区", "级别", "排名", "引用", "简短引用", "条款编号", "条款"])
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def compare_markdown(topic: str, coverages: list[RegionCoverage]) -> str:
    """The comparison as Markdown: one section per region, each clause quoted with its citation."""
    lines = [f"# 地区对比：{topic}", ""]
    for cov in coverages:
        lines += [f"## {cov.region}（{cov.region_level}）", ""]
        if not cov.hits:
            lines += [NOT_COVERED, ""]
        for hit in cov.hits:
            c = cite(hit.clause, hit.document)
            quoted = "\n".join(f"> {line}" for line in hit.clause.text.splitlines() if line.strip())
            lines += [quoted, "", f"—— {c.canonical}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_number(value: str) -> float | None:
    """A plain number written in a plan ('1.5', '4078', '60%'); None for '——', '≥100', '显著提升' …"""
    text = (value or "").strip().replace(",", "").replace("，", "").rstrip("%％").strip()
    return float(text) if _NUMBER.fullmatch(text) else None
