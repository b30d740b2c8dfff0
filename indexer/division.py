"""Division-of-labour tables (重点任务分工表: 序号 / 重点任务 / 牵头单位 / 配合单位 / 完成时限).

Many 行动方案 and 实施方案 name who does what only in such a table, often as an annex: the body's items
(（一）扩大质押融资规模。…) name nobody. A table is recognised by its header row: a column of tasks
(重点任务, 具体措施, 工作内容 …) and a column of bodies (牵头单位, 责任单位, 配合单位 …). Each row is read
into the task it names and the labelled lists of bodies of its cells, which ``clauses`` reads with the
same grammar as a 「牵头单位：…」 line, so that a row, and the body item of the same task, say who is
responsible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numbering import match_number
from .tables import _SEQ_HEADER, _cells

# The header cells of the columns of bodies (牵头单位, 牵头责任部门, 配合单位（部门）…), each read as the list
# a 「label：…」 line of its role would be: who leads, who is responsible (the first named leads), who helps.
_BODY_COLUMN = re.compile(r"^(?P<role>牵头|主责|责任|配合|参与|协办|协作)(?:责任)?(?:单位|部门)")
_ROLE_LABEL = {"牵头": "牵头单位", "主责": "牵头单位", "责任": "责任单位"}  # the others: 配合单位
# (a table of projects, 重点工程 / 重点项目, names its task by the project: 项目名称 | 建设内容 | 责任单位)
# (a bare 项目 column beside 主要任务 holds categories, 知识产权创造 / 知识产权运用: not a task)
_TASK_COLUMN = re.compile(r"任务|措施|举措|事项|工作|内容|^(?:重点)?(?:项目|工程)名称$|^名称$")
_NOT_TASK = re.compile(r"单位|部门|时限|时间|进度|序号|编号|备注|成果|目标|指标")
MIN_ROWS = 2


@dataclass(frozen=True, slots=True)
class DivisionRow:
    """One task of a division table: the words of its task cells (the broadest first), its cells of
    bodies as 「label：names」 lines, and the span of its line in the text."""

    tasks: tuple[str, ...]
    bodies: str
    span: tuple[int, int]

    def lead(self, specific: bool = False) -> str:
        """The row's short name, as a citation writes it: its broadest task when that is a short name
        (做强钢铁与装备制造产业链), else (or when ``specific``) its most specific task's first sentence."""
        named = [re.split(r"[。；;]", t, maxsplit=1)[0].strip() for t in self.tasks if t]
        if not named:
            return ""
        return named[0] if len(named[0]) <= 30 and not specific else named[-1][:40]


def _header(cells: list[str]) -> dict | None:
    bodies = [
        (i, _ROLE_LABEL.get(m.group("role"), "配合单位")) for i, c in enumerate(cells)
        if len(c) <= 12 and (m := _BODY_COLUMN.match(c.replace(" ", "")))
    ]
    tasks = [i for i, c in enumerate(cells) if _TASK_COLUMN.search(c) and not _NOT_TASK.search(c)]
    if not bodies or not tasks:
        return None
    return {"bodies": bodies, "tasks": tasks, "width": len(cells), "seq": bool(_SEQ_HEADER.match(cells[0]))}


def find_rows(text: str, start: int = 0, end: int | None = None) -> list[DivisionRow]:
    """The rows of every division table in text[start:end] (tab-separated rows, as the reader writes
    tables), in order; [] when there is none or a table has fewer than two rows."""
    end = len(text) if end is None else end
    out: list[DivisionRow] = []
    columns = None
    table: list[DivisionRow] = []
    pos = start
    for line in text[start:end].split("\n"):
        line_start, pos = pos, pos + len(line) + 1
        if "\t" not in line:
            if columns is not None and ("。" in line or len(line.strip()) > 40):
                out += table if len(table) >= MIN_ROWS else []
                columns, table = None, []  # prose: the table has ended (a group's title does not end it)
            continue
        cells = _cells(line)
        if len({c for c in cells if c}) <= 1:
            continue  # a group's title across the table (一、实施产业链提升行动, or merged cells repeating it)
        header = _header(cells)
        if header is not None:
            out += table if len(table) >= MIN_ROWS else []
            columns, table = header, []
            continue
        if columns is None:
            continue
        shift = len(cells) - columns["width"]
        if shift not in (0, -1):
            continue
        if shift == -1 and columns["seq"] and cells[0].isdigit():
            cells, shift = [*cells, ""], 0  # its last cell empty (备注, a line's trailing tab trimmed), not its 序号
        # (else a row one cell short has dropped its 序号: align from the right)
        cell = {i: cells[i + shift] for i in range(max(0, -shift), columns["width"]) if 0 <= i + shift < len(cells)}
        tasks = tuple(cell.get(i, "") for i in columns["tasks"])
        bodies = "\n".join(f"{label}：{cell[i]}" for i, label in columns["bodies"] if cell.get(i))
        if not any(tasks) or not bodies:
            continue
        lstrip = len(line) - len(line.lstrip())
        table.append(DivisionRow(tasks, bodies, (line_start + lstrip, line_start + len(line.rstrip()))))
    out += table if len(table) >= MIN_ROWS else []
    return out


_PUNCT = re.compile(r"[\s。，,；;：:、“”\"'（）()《》]")


def task_key(words: str) -> str:
    """A task's words without their number and punctuation: （一）扩大质押融资规模。 → 扩大质押融资规模."""
    words = words.strip()
    number = match_number(words)
    if number is not None:
        words = words[number.end :]
    return _PUNCT.sub("", words)
