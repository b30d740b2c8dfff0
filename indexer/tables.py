"""Indicator tables (指标 / 2020年 / 2025年 / 属性) → Indicator records tied to their section.

A table is a run of lines whose cells are separated by tabs (or by two or more spaces), with a header
row that names the indicator column (指标) or at least two years (2020年 …). Columns are found by the
header, so tables with or without 序号 or 属性 columns read the same. A table with a column of what a
past plan achieved (完成情况, 实际) reviews that plan: its rows are results, not targets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .numbering import CAPTION, DOTTED, NOTE_MARK, match_number

_CELL_SPLIT = re.compile(r"\t+|\s{2,}|\u3000+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_UNIT = re.compile(r"^(?P<name>.*?)\s*[（(](?P<unit>[^（）()]{1,8})[）)]\s*$")
_YEAR_IN_CELL = re.compile(r"[（(]\s*((?:19|20)\d{2})\s*年?\s*[）)]")
# A five-year plan by its number (十四五: the 14th, 2021-2025); a column of it holds the value at its end.
_PERIOD = re.compile(r"十([一二三四五六七八九])五")
_BASELINE_HEADER = re.compile(r"现状|基准|基期|現狀|基準")
_TARGET_HEADER = re.compile(r"目标|目標")
# A value column named by its year and what its value is: 2025年基期值, 2030年目标值, 2025年底现状
_YEAR_NAMED = re.compile(
    rf"((?:19|20)\d{{2}})\s*年(?:末|底)?\s*(?:{_BASELINE_HEADER.pattern}|{_TARGET_HEADER.pattern}|预期|預期)(?:值|数|數)?"
)
# A value with its unit written after it, where the table has no unit column: 120.14平方公里, ≥73公里
_VALUE_UNIT = re.compile(r"(?P<value>[≥≤＞＜><]?\s*\d[\d,，]*(?:\.\d+)?)\s*(?P<unit>[^\d\s%％（）()≥≤＞＜><.,，;；:：]{1,6})")
# Words after a figure that bound or hedge it, not units: 25以上, 55左右
_NOT_A_UNIT = re.compile(r"以上|以下|以内|左右|及以上|之间|上下")
_ATTRIBUTE = re.compile(r"预期性|约束性|預期性|約束性")
# A column of what a past plan achieved (完成情况, 2020年实际, 已完成): the table reviews that plan, its
# figures are results, not targets.
_COMPLETION = re.compile(r"完成|实际|實際|实现情况|實現情況|达成|達成")
_SUB_ROW = re.compile(r"^其中\s*[：:，,]?")


def period_end(digit: str) -> str:
    """The last year of the five-year plan 十{digit}五: 十三五 → 2020, 十四五 → 2025, 十五五 → 2030."""
    return str(1955 + 5 * (10 + "一二三四五六七八九".index(digit) + 1))


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
    # targets of earlier years in columns between the baseline and the last target (目标值（2025年） of a
    # table that also gives 目标值（2035年）): (year, value as written)
    more_targets: tuple[tuple[str, str], ...] = ()
    # the five-year plan a value column names (“十四五”现状值: 十四五), whose last year is its year above
    baseline_period: str = ""
    target_period: str = ""


def _cells(line: str) -> list[str]:
    """The cells of a row. Tab-separated cells keep their places (an empty cell between two tabs is a
    blank cell, so the cells after it stay in their columns); cells set apart by spaces cannot be empty."""
    line = line.strip(" \n\u3000")
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    return [c.strip() for c in _CELL_SPLIT.split(line.strip()) if c.strip()]


def _is_row(line: str) -> bool:
    return ("\t" in line or bool(re.search(r"\S\s{2,}\S", line))) and sum(1 for c in _cells(line) if c) >= 3


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
        nxt = next((j for j in range(i + 1, len(lines)) if lines[j][1].strip()), None) if header else None
        below = _cells(lines[nxt][1]) if nxt is not None and "\t" in lines[nxt][1] else []
        merged = _two_row_header(header, below) if below else None
        columns = _columns(merged or header) if header else None
        if columns is None:
            i += 1
            continue
        title = _table_title(lines, i)
        i = nxt + 1 if merged else i + 1
        parent = None
        table: list[IndicatorRow] = []
        while i < len(lines) and (not lines[i][1].strip() or _is_row(lines[i][1])):
            row_pos, row = lines[i]
            if row.strip():
                parsed = _row(_cells(row), columns, (row_pos + len(row) - len(row.lstrip()), row_pos + len(row.rstrip())), title)
                if parsed and _SUB_ROW.match(parsed.name) and parent is not None:
                    # 其中：发明专利 is a part of the row above it: 专利授权量（其中：发明专利）
                    parsed = replace(parsed, name=f"{parent.name}（{parsed.name}）")
                elif parsed:
                    parent = parsed
                if parsed:
                    table.append(parsed)
            i += 1
        note = _BRACKETED_YEAR.match(lines[i][1].strip()) if i < len(lines) else None
        for parsed in table:
            # 注：括号内数据为2019年平均值: a bracketed baseline is that year's, not the column's
            if note and _BRACKETED.fullmatch(parsed.baseline):
                parsed = replace(parsed, baseline_year=note.group("year"), baseline_period="")
            yield parsed


# A table's note under it that dates its bracketed values: 注：括号内数据为2019年平均值
_BRACKETED_YEAR = re.compile(r"^注\s*[：:].{0,12}?括号内(?:的)?(?:数据|数值|数字)?(?:为|是|系)?\s*(?P<year>(?:19|20)\d{2})\s*年")
_BRACKETED = re.compile(r"[（(][^（）()]+[）)]")


def _two_row_header(header: list[str], below: list[str]) -> list[str] | None:
    """A header over a row of years (| 目标值 | | over | 2025年 | 2030年 |, as Markdown and text write a cell
    spanning two columns) as one row of names: 目标值（2025年）, 目标值（2030年）; an empty cell over a year
    takes the name on its left. None when the second row is not such (two years at least, nothing else but
    the first row's own words)."""
    if len(header) != len(below):
        return None
    years = [j for j, cell in enumerate(below) if _YEAR.fullmatch(cell.replace(" ", ""))]
    if len(years) < 2 or any(cell and j not in years and cell != header[j] for j, cell in enumerate(below)):
        return None
    merged, left = [], ""
    for j, (top, year) in enumerate(zip(header, below, strict=True)):
        name = top or (left if j in years else "")
        left = name
        merged.append(f"{name}（{year}）" if j in years and name and year != top else (top or year))
    return merged


def _table_title(lines: list[tuple[int, str]], header_idx: int) -> str:
    for j in range(header_idx - 1, max(header_idx - 3, -1), -1):
        candidate = lines[j][1].strip()
        if candidate:
            return candidate if len(candidate) <= 40 and "。" not in candidate else ""
    return ""


def _columns(header: list[str]) -> dict | None:
    # A year column: 2025年, or a value column that names its year: 目标值（2025年）, 2030年目标值, or the
    # five-year plan it ends: “十四五”现状值 (2025), “十五五”目标值 (2030).
    years = [
        (i, m.group(1)) for i, cell in enumerate(header)
        if (m := _YEAR.fullmatch(cell.replace(" ", "")) or _YEAR_IN_CELL.search(cell)
            or _YEAR_NAMED.fullmatch(cell.replace(" ", "")))
    ]
    periods: dict[int, str] = {}  # a column of a five-year plan's value (“十四五”现状值): its plan, as written
    if not years:
        years = [(i, period_end(m.group(1))) for i, cell in enumerate(header) if (m := _PERIOD.search(cell))]
        periods = {i: m.group(0) for i, cell in enumerate(header) if (m := _PERIOD.search(cell))}
    name_col = next((i for i, cell in enumerate(header) if "指标" in cell or "指標" in cell), None)
    if len(years) < 2 and name_col is None:
        return None
    if any(_COMPLETION.search(cell) for cell in header):
        return None
    if name_col is None:
        name_col = years[0][0] - 1 if years and years[0][0] > 0 else 0
    if len(years) < 2:
        # Without two years, value columns named 现状 / 基准 (baseline) and 目标 (target) carry the figures.
        base = next((i for i, cell in enumerate(header) if _BASELINE_HEADER.search(cell)), None)
        goal = next((i for i, cell in reversed(list(enumerate(header))) if _TARGET_HEADER.search(cell)), None)
        if goal is not None:
            year = {i: y for i, y in years}
            years = ([(base, year.get(base, ""))] if base is not None else []) + [(goal, year.get(goal, ""))]
    # Target columns between the first and the last year column: their years are targets too.
    more = [(i, y) for i, y in years[1:-1] if _TARGET_HEADER.search(header[i])] if len(years) >= 3 else []
    return {
        "more_targets": more,
        # the 序号 column (after a group column such as 板块 when there is one), else the first before the name
        # (a first column named as a group, 类别 or 领域, holds names: no row numbers)
        "seq": next(
            (i for i, cell in enumerate(header) if _SEQ_HEADER.match(cell)),
            0 if name_col > 0 and not _SPANNING[0].search(header[0]) else None,
        ),
        "name": name_col,
        "unit": next((i for i, cell in enumerate(header) if cell in {"单位", "單位"}), None),
        "years": years,
        "periods": periods,
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

    name = NOTE_MARK.sub("", cell(columns["name"]))  # 城市绿色出行比例①: the mark points to a note under the table
    if not name or name[0].isdigit():
        return None
    unit = cell(columns["unit"])
    m = _UNIT.match(name)
    if m and not unit:
        name, unit = m.group("name"), m.group("unit")
    years = columns["years"]
    baseline_year, target_year = (years[0][1], years[-1][1]) if len(years) >= 2 else ("", years[0][1] if years else "")
    target = cell(years[-1][0]) if years else ""
    baseline = cell(years[0][0]) if len(years) >= 2 else ""
    periods = columns.get("periods", {})
    baseline_period = periods.get(years[0][0], "") if len(years) >= 2 else ""
    target_period = periods.get(years[-1][0], "") if years else ""
    more = tuple((y, cell(i)) for i, y in columns.get("more_targets", ()))
    m = _VALUE_UNIT.fullmatch(target) if not unit else None
    if m and not _NOT_A_UNIT.search(m.group("unit")) and all(
        v.endswith(m.group("unit")) or not re.search(r"\d", v) for v in (baseline, *(v for _, v in more))
    ):
        # no unit column, the same unit written with each value (120.14平方公里 | 128.92平方公里): split it
        # off (not 25以上, a bound; not 80亿元 beside 1.2万亿元, two units)
        unit = m.group("unit")
        target = m.group("value")
        baseline = baseline.removesuffix(unit).strip()
        more = tuple((y, v.removesuffix(unit).strip()) for y, v in more)
    attribute = cell(columns["attribute"])
    if attribute and not _ATTRIBUTE.search(attribute):
        attribute = attribute if len(attribute) <= 6 else ""
    return IndicatorRow(
        # one cell short: the 序号 cell was dropped, unless a group cell before it was (it spans rows)
        seq=cell(columns["seq"]) if columns["seq"] is not None and (shift == 0 or columns["seq"] > 0) else "",
        name=name,
        unit=unit,
        baseline_year=baseline_year,
        baseline=baseline,
        target_year=target_year,
        target=target,
        attribute=attribute,
        span=span,
        table_title=title,
        more_targets=more,
        baseline_period=baseline_period,
        target_period=target_period,
    )


# --- tables flattened one cell per line or per paragraph -------------------------------------------

# A header cell: short, no sentence punctuation. 序号 names the row-number column that lets rows be
# found again; without it the cells are left as they are.
_SEQ_HEADER = re.compile(r"^(?:序\s*号|編\s*號|编\s*号|序\s*號)$")
_SENTENCE = re.compile(r"[。；;！？]")
MAX_HEADER_CELL = 20
MAX_ROW_CELLS = 16
MAX_GROUP_HEADER = 4


def rejoin_flattened_tables(lines: list[str]) -> list[str]:
    """Tables saved one cell per line (or per paragraph, cells between blank lines) back into rows.

    A table is found by its header, a run of short cells holding 序号, followed by the row numbers
    1, 2, 3 … each alone in a cell. Each row becomes one tab-separated line, so a row is never split
    across clauses and the indicator reader sees it. A cell broken over two lines inside a paragraph
    (基准值 / （2020年）) is one cell. Cells between a row's last column and the next row number are
    leading cells of the next row when the header puts columns before 序号 (a group cell such as 板块),
    else extra cells of the row (a stray trailing cell); sub-rows 其中：… of a row's width less its number
    become rows of their own. A row one cell short under a full row gets back the cell that spans both
    (a group, 属性 or 单位 written once); other short rows stay short and the indicator reader aligns them
    from the right. One cell per line, a blank line is a blank cell. A table without 序号 is found by a
    header of column names (指标, 单位, 2020年 …) and read row by row at the header's width.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        table = _flattened_table_at(lines, i) or _unnumbered_table_at(lines, i)
        if table is None:
            out.append(lines[i])
            i += 1
            continue
        rows, end = table
        out.extend("\t".join(row) for row in rows)
        i = end
    return out


def _cells_from(lines: list[str], start: int) -> list[tuple[str, int, int]]:
    """(cell, first line, line after) from ``start``: paragraphs when blank lines part the cells."""
    cells: list[tuple[str, int, int]] = []
    # Cells one per paragraph when blank lines part the header's cells; else one per line, and then a
    # blank line is a blank cell (a value the table leaves empty), kept so the cells after it keep their
    # columns. Two blank lines in a row end a table of that kind.
    # One cell per paragraph, an empty cell is an empty paragraph: three blank lines where one parts cells.
    paragraph_mode = sum(not line.strip() for line in lines[start : start + 6]) >= 2
    i = start
    while i < len(lines) and len(cells) < 400:
        if not lines[i].strip():
            if not paragraph_mode:
                if i + 1 >= len(lines) or not lines[i + 1].strip():
                    break
                cells.append(("", i, i + 1))
                i += 1
                continue
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if cells and j < len(lines):
                cells += [("", i, j)] * ((j - i - 1) // 2)
            i = j
            continue
        j = i + 1
        if paragraph_mode:
            while j < len(lines) and lines[j].strip():
                j += 1
        text = "".join(line.strip() for line in lines[i:j])
        cells.append((text, i, j))
        i = j
    return cells


def _is_group_cell(cell: str) -> bool:
    """一、实施产业链提升行动 or （二）…: a group's title across a table, not a cell of a row."""
    number = match_number(cell)
    return (
        number is not None and number.scheme in ("cn、", "（cn）") and number.end < len(cell) <= 40
        and not _SENTENCE.search(cell)
    )


def _is_header_cell(cell: str) -> bool:
    return 0 < len(cell) <= MAX_HEADER_CELL and not _SENTENCE.search(cell) and "\t" not in cell


def _flattened_table_at(lines: list[str], start: int) -> tuple[list[list[str]], int] | None:
    line = lines[start].strip()
    if not _is_header_cell(line) or CAPTION.match(line):
        return None
    if not any(_SEQ_HEADER.match(ln.strip()) for ln in lines[start : start + 2 * MAX_ROW_CELLS + 2]):
        return None  # no 序号 nearby: not a table header (cheap test before gathering cells)
    cells = _cells_from(lines, start)
    # The header: short cells up to the first row number 1, holding 序号, at most MAX_ROW_CELLS.
    header_len = next((k for k, (c, _, _) in enumerate(cells[: MAX_ROW_CELLS + 1]) if c == "1"), None)
    if header_len is None or header_len < 3:
        return None
    # A group's title before a row (一、实施产业链提升行动, a row of one cell across the table) is a line of
    # its own, kept between the rows, not a cell of the header or of the row before it.
    groups = {k for k, (c, _, _) in enumerate(cells) if _is_group_cell(c) and k + 1 < len(cells) and cells[k + 1][0].isdigit()}
    first_group = header_len - 1 if header_len - 1 in groups else None
    before_first: list[list[str]] = []
    if first_group is not None:
        before_first = [[cells[first_group][0]]]
        cells = cells[:first_group] + cells[first_group + 1 :]
        header_len -= 1
        groups = {k - (k > first_group) for k in groups if k != first_group}
    header = [c for c, _, _ in cells[:header_len]]
    seq_col = next((k for k, c in enumerate(header) if _SEQ_HEADER.match(c)), None)
    if seq_col is None or not all(_is_header_cell(c) and not match_number(c) for c in header):
        return None
    # A column before 序号 is a short group name (板块, 类别); a caption (指标表, 主要指标一览) is not a column.
    if any(c.endswith("表") or len(c) > MAX_GROUP_HEADER for c in header[:seq_col]):
        return None
    # Columns before 序号 are group cells (板块): the first row always carries its own, just before its 1.
    first_lead = header[len(header) - seq_col :] if seq_col and len(header) - seq_col > seq_col else []
    header = header[: len(header) - len(first_lead)]
    width = len(header)
    after_seq = width - seq_col  # cells of a row from its number on
    # Row numbers: 1, 2, 3 … each found near where the previous row's cells end.
    starts = [header_len]
    while True:
        k, n = starts[-1], len(starts) + 1
        expected = k + after_seq
        order = [expected] + [expected - d for d in range(1, after_seq - 1)] + [expected + d for d in range(1, after_seq + 1)]
        nxt = next((p for p in order if k + 2 <= p < len(cells) and cells[p][0] == str(n)), None)
        if nxt is None:
            break
        starts.append(nxt)
    if len(starts) < 2:
        return None
    rows: list[list[str]] = [header, *before_first]
    lead: list[str] = first_lead
    for r, k in enumerate(starts):
        group_after = []
        if r + 1 < len(starts):
            stop = starts[r + 1]
            if stop - 1 in groups and stop - 1 > k:
                stop, group_after = stop - 1, [[cells[stop - 1][0]]]
            segment = [c for c, _, _ in cells[k:stop]]
        else:  # the last row ends at its width, or earlier at a heading, a note or prose
            # (a sentence where the rows above have sentences too, a 具体措施 column, is the row's)
            above_row = next((row for row in reversed(rows[1:]) if len(row) == width), [])
            segment = []
            for c, _, _ in cells[k : k + after_seq]:
                column = seq_col + len(segment)
                above = above_row[column] if column < len(above_row) else ""
                # a numbered cell under a numbered one (5.推动… over 6.发展…), a sentence under a sentence
                alike = bool(match_number(above)) if match_number(c) else _ends_table(above)
                if segment and _ends_table(c) and not alike:
                    break
                segment.append(c)
        own, spill = segment[:after_seq], segment[after_seq:]
        subrows: list[list[str]] = []
        if seq_col and r + 1 < len(starts):
            # A group cell is a name, not a figure: 市容景观建设 leads the next row, 17.5 ends this one.
            carry = spill[-seq_col:] if len(spill) >= seq_col and not any(re.search(r"\d", c) for c in spill[-seq_col:]) else []
            middle = spill[: len(spill) - len(carry)]
            subrows = _short_subrows(middle, lead + own, len(lead), header, seq_col) if middle and _SUB_ROW.match(middle[0]) else []
            if not subrows:
                own += middle
        elif spill and _SUB_ROW.match(spill[0]) and len(spill) % (after_seq - 1) == 0:
            # 其中：发明专利 … : sub-rows without a number of their own, each a row of its own
            carry = []
            subrows = [[""] * seq_col + [""] + spill[k : k + after_seq - 1] for k in range(0, len(spill), after_seq - 1)]
        elif spill and _SUB_ROW.match(spill[0]) and (short := _short_subrows(spill, lead + own, len(lead), header, seq_col)):
            # 其中 公园绿地 58.46 17.5: sub-rows that leave out the cells they share with their row (属性,
            # 单位, a group): those come from the row, their own name and figures fill the rest
            carry, subrows = [], short
        else:
            carry = []
            own += spill
        above = rows[-1][len(rows[-1]) - after_seq :] if len(rows) > 1 and len(rows[-1]) == width else []
        if len(own) == after_seq - 1 and above:
            own = _fill_spanning_cell(own, above, header[seq_col:])
        rows.append(lead + own)
        rows += subrows + group_after
        lead = carry
    last = starts[-1] + len(segment) - 1
    end_line = cells[last][2]
    return rows, end_line


def _short_subrows(spill: list[str], parent: list[str], lead: int, header: list[str], seq_col: int) -> list[list[str]]:
    """Sub-rows (each starting at a 其中 cell) shorter than a row: each is its row with the number left
    empty, the name replaced by its own and the last cells by its own figures. [] when they do not fit."""
    name_col = next((i for i, c in enumerate(header) if "指标" in c or "指標" in c or "名称" in c), None)
    if name_col is None or name_col <= seq_col:
        return []
    name_at = lead + name_col - seq_col
    starts = [i for i, c in enumerate(spill) if _SUB_ROW.match(c)]
    out = []
    for a, b in zip(starts, [*starts[1:], len(spill)], strict=True):
        values = spill[a + 1 : b]
        if not values or len(values) >= len(parent) - name_at:
            return []
        row = list(parent)
        row[lead] = ""  # no number of its own
        row[name_at] = spill[a]
        row[len(row) - len(values) :] = values
        out.append(row)
    return out


# Columns whose cell may span rows, in the order a short row is tried: a group (类别, 领域), the
# attribute (属性, 指标类型), the unit. Names and figures never span.
_SPANNING = (re.compile(r"类别|类目|类型|分类|板块|领域|方面|维度"), re.compile(r"属性|屬性|性质"), re.compile(r"单位|單位"))


def _fill_spanning_cell(row: list[str], above: list[str], header: list[str]) -> list[str]:
    """A row one cell short under a full row: a cell of the row above spans both (a group, 属性 or 单位
    written once for several rows). The missing column is the first of those whose cell above, put back,
    gives the row the shape of the row above (figures under figures, words under words); else the row
    stays short."""
    for pattern in _SPANNING:
        for k, name in enumerate(header):
            if k == 0 or not pattern.search(name) or "指标" in name or not above[k] or _is_figure(above[k]):
                continue
            candidate = row[:k] + [above[k]] + row[k:]
            if all(not a or not b or _is_figure(a) == _is_figure(b) for a, b in zip(candidate, above, strict=True)):
                return candidate
    return row


def _is_figure(cell: str) -> bool:
    return bool(re.match(r"^[≥≤＞＜><约~～+-]?\s*\d", cell)) or bool(re.fullmatch(r"[—－\-/／]+", cell))


# The words of an indicator table's column names, for a table without 序号 (where rows are found by
# the header's width instead of by their numbers).
_COLUMN_NAME = re.compile(r"指标|指標|年|目标|目標|现状|現狀|基准|基準|基期|单位|單位|属性|屬性|类别|類別|领域|备注|性质")
_VALUE_COLUMN = re.compile(r"(?:19|20)\d{2}|目标|目標|现状|現狀|基准|基準|基期")


def _unnumbered_table_at(lines: list[str], start: int) -> tuple[list[list[str]], int] | None:
    """A table one cell per line or paragraph without a 序号 column: a header of column names (指标,
    单位, 2020年, 2025年, 属性 …), then rows of the header's width, each a name followed by figures. Rows
    are taken while they have that shape; at least two, or it is not a table."""
    line = lines[start].strip()
    if not (_is_header_cell(line) and _COLUMN_NAME.search(line)) or CAPTION.match(line):
        return None
    if not any("指标" in ln or "指標" in ln for ln in lines[start : start + 3]):
        return None
    cells = _cells_from(lines, start)
    width = 0
    while width < min(len(cells), MAX_ROW_CELLS) and _is_header_cell(cells[width][0]) and _COLUMN_NAME.search(cells[width][0]):
        width += 1
    header = [c for c, _, _ in cells[:width]]
    name_col = next((k for k, c in enumerate(header) if "指标" in c or "指標" in c), None)
    values = [k for k, c in enumerate(header) if _VALUE_COLUMN.search(c) and k != name_col]
    if width < 3 or name_col is None or len(values) < 2:
        return None
    rows, k = [header], width
    while k + width <= len(cells):
        row = [c for c, _, _ in cells[k : k + width]]
        name = row[name_col]
        if not name or _is_figure(name) or _SENTENCE.search(name) or len(name) > 40:
            break
        if not all(_is_figure(row[v]) or not row[v] for v in values) or not any(row[v] for v in values):
            break
        rows.append(row)
        k += width
    if len(rows) < 3:
        return None
    return rows, cells[k - 1][2]


def _ends_table(cell: str) -> bool:
    num = match_number(cell)
    return (
        bool(num and num.scheme not in DOTTED and not cell.isdigit() and num.end < len(cell))  # 1.5 亿元 is a cell
        or cell.startswith(("注", "备注", "资料来源"))
        or bool(CAPTION.match(cell))
        or len(cell) > 40
        or bool(_SENTENCE.search(cell))
    )
