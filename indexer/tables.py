"""Indicator tables (指标 / 2020年 / 2025年 / 属性) → Indicator records tied to their section.

A table is a run of lines whose cells are separated by tabs (or by two or more spaces), with a header
row that names the indicator column (指标) or at least two years (2020年 …). Columns are found by the
header, so tables with or without 序号 or 属性 columns read the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_CELL_SPLIT = re.compile(r"\t+|\s{2,}|\u3000+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_UNIT = re.compile(r"^(?P<name>.*?)\s*[（(](?P<unit>[^（）()]{1,8})[）)]\s*$")
_ATTRIBUTE = re.compile(r"预期性|约束性|預期性|約束性")


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One parsed row before it is tied to a document and section."""

    seq: str
    name: str
    unit: str
    baseline_year: str
    baseline: str
    target_year: str
    target: str
    attribute: str
    span: tuple[int, int]
    table_title: str


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELL_SPLIT.split(line.strip()) if c.strip()]


def _is_row(line: str) -> bool:
    return ("\t" in line or bool(re.search(r"\S\s{2,}\S", line))) and len(_cells(line)) >= 3


def find_indicators(text: str, start: int = 0, end: int | None = None) -> Iterator[IndicatorRow]:
    """Every indicator row of every table in text[start:end]."""
    end = len(text) if end is None else end
    lines: list[tuple[int, str]] = []
    pos = start
    for line in text[start:end].split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        pos, line = lines[i]
        header = _cells(line) if _is_row(line) else []
        columns = _columns(header) if header else None
        if columns is None:
            i += 1
            continue
        title = _table_title(lines, i)
        i += 1
        while i < len(lines) and (not lines[i][1].strip() or _is_row(lines[i][1])):
            row_pos, row = lines[i]
            if row.strip():
                parsed = _row(_cells(row), columns, (row_pos + len(row) - len(row.lstrip()), row_pos + len(row.rstrip())), title)
                if parsed:
                    yield parsed
            i += 1


def _table_title(lines: list[tuple[int, str]], header_idx: int) -> str:
    for j in range(header_idx - 1, max(header_idx - 3, -1), -1):
        candidate = lines[j][1].strip()
        if candidate:
            return candidate if len(candidate) <= 40 and "。" not in candidate else ""
    return ""


def _columns(header: list[str]) -> dict | None:
    years = [(i, m.group(1)) for i, cell in enumerate(header) if (m := _YEAR.fullmatch(cell.replace(" ", "")))]
    name_col = next((i for i, cell in enumerate(header) if "指标" in cell or "指標" in cell), None)
    if len(years) < 2 and name_col is None:
        return None
    if name_col is None:
        name_col = years[0][0] - 1 if years and years[0][0] > 0 else 0
    return {
        "seq": 0 if name_col > 0 else None,
        "name": name_col,
        "unit": next((i for i, cell in enumerate(header) if cell in {"单位", "單位"}), None),
        "years": years,
        "attribute": next((i for i, cell in enumerate(header) if "属性" in cell or "屬性" in cell), None),
        "width": len(header),
    }


def _row(cells: list[str], columns: dict, span: tuple[int, int], title: str) -> IndicatorRow | None:
    # Rows may drop the 序号 cell; align from the right when they are one cell short.
    shift = len(cells) - columns["width"]
    if shift not in (0, -1):
        return None

    def cell(idx: int | None) -> str:
        if idx is None:
            return ""
        j = idx + shift if shift and idx > 0 else idx
        return cells[j] if 0 <= j < len(cells) else ""

    name = cell(columns["name"])
    if not name or name[0].isdigit():
        return None
    unit = cell(columns["unit"])
    m = _UNIT.match(name)
    if m and not unit:
        name, unit = m.group("name"), m.group("unit")
    years = columns["years"]
    baseline_year, target_year = (years[0][1], years[-1][1]) if len(years) >= 2 else ("", years[0][1] if years else "")
    attribute = cell(columns["attribute"])
    if attribute and not _ATTRIBUTE.search(attribute):
        attribute = attribute if len(attribute) <= 6 else ""
    return IndicatorRow(
        seq=cell(columns["seq"]) if columns["seq"] is not None and shift == 0 else "",
        name=name,
        unit=unit,
        baseline_year=baseline_year,
        baseline=cell(years[0][0]) if len(years) >= 2 else "",
        target_year=target_year,
        target=cell(years[-1][0]) if years else "",
        attribute=attribute,
        span=span,
        table_title=title,
    )
