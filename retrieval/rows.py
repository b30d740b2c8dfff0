"""A table row read with its header, as a reader would: the row 「5	蜀锦非遗文化园	非遗工坊、蜀锦博物馆扩建	4.3
2026—2028	区文化广电旅游局」 under 「序号	项目名称	建设内容	总投资（亿元）	建设期限	责任单位」 is 「序号：5；项目名称：
蜀锦非遗文化园；建设内容：非遗工坊、蜀锦博物馆扩建；总投资：4.3亿元；建设期限：2026—2028；责任单位：区文化广电旅游局」.

A row alone says nothing of what its numbers are: the answer checks and quotes this form instead
(an indicator row has its own sentence, ``indexer.read.indicator_text``).
"""

from __future__ import annotations

import re

# A column name that carries its numbers' unit: 总投资（亿元）, 面积(公顷)
_UNIT_IN_NAME = re.compile(r"^(?P<name>.+?)\s*[（(](?P<unit>[^（）()\d]{1,6})[）)]$")
_BLANK = " \n\r\u3000"
_NUMBER = re.compile(r"[≥≤＞＜><约]?\s*\d+(?:\.\d+)?")


def labelled_row(searcher, clause) -> str:
    """The clause's text as its table's columns name it ('' when the clause is not one table row, or the
    rows above it reach no header of as many cells)."""
    row = clause.text.strip(_BLANK)
    cells = row.split("\t")
    if "\n" in row or len(cells) < 3:
        return ""
    entry = searcher.index.document(clause.doc_id)
    if entry is None:
        return ""
    header = None
    for line in reversed(entry.text[: clause.span[0]].split("\n")):  # the rows above, up to the table's first
        if not line.strip():
            continue
        if "\t" not in line:
            break
        header = line
    names = [n.strip() for n in header.strip(_BLANK).split("\t")] if header else []
    # a row's empty last cells (备注) may have been dropped with the line's trailing space
    cells += [""] * (len(names) - len(cells))
    if len(names) != len(cells) or any(_NUMBER.fullmatch(n) for n in names if n):
        return ""
    parts = []
    for name, cell in zip(names, (c.strip() for c in cells), strict=True):
        if not cell:
            continue
        m = _UNIT_IN_NAME.match(name)
        if m and _NUMBER.fullmatch(cell):
            name, cell = m.group("name"), cell + m.group("unit")
        parts.append(f"{name}：{cell}" if name else cell)
    return "；".join(parts)
