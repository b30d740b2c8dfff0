"""A PDF page's text with its table rows rebuilt: one line a row, its cells set apart by tabs.

pypdf's plain text puts a table's cells side by side with single spaces (铁路营业里程 公里 412 520 预期性),
like words, and a cell that wraps inside its cell (序 over 号, 区文化广 over 电旅游局) breaks the row into
lines. Every other reader gives a table as tab-separated rows (``indexer.tables`` reads them), so this
module reads the pieces of text pypdf gives (its ``visitor_text`` calls, which together spell exactly the
plain text), where each is drawn (from the text-drawing operators' own matrices: the matrix pypdf hands
its text visitor can be a glyph or more off), and rebuilds the rows:

- on one baseline, a gap of an em or more between two pieces is a cell boundary (prose sets its
  characters a fraction of an em apart);
- a piece drawn above the previous one and to its right starts the next cell of the same row (a row's
  cells are drawn one after the other, a cell that wraps going down and the next cell starting again
  at the row's top, or at its middle where cells are centred);
- a piece drawn one line down, within the current cell's column, continues that cell (its wrap);
- lines of one cell drawn before the row's next cell (序 over 号 in the first column) join that row.

A line becomes a row only when it has three cells or more, not all of a single character (a title set
with spaced-out characters is no table); any other line is left exactly as pypdf wrote it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

SAME_LINE = 0.3  # ems: pieces this close vertically share a baseline (a superscript ① sits ~0.4 em up)
CELL_GAP = 1.0  # ems of white space on one baseline that part two cells
NEXT_CELL_GAP = 0.5  # ems right of the previous piece for a piece drawn higher to start the next cell
WRAP_DROP = 2.5  # ems: a cell's next line sits at most this far below its previous one
ROW_HEIGHT = 2.5  # ems: how far above a row's first line its next cell may start (a centred cell)
MIN_CELLS = 3
MAX_CELL = 80  # characters: a longer "cell", or one holding a sentence's end before more text, is prose set in
# columns (three blocks side by side), not a table's cell
_DATE = re.compile(r"^\s*[（(]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[)）]?\s*$")
_TRAILING_DATE = re.compile(r"(?<=[^\d\s])\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
_SHOW = (b"Tj", b"TJ", b"'", b'"')  # the operators that draw text
_MOVES = (b"BT", b"Td", b"TD", b"Tm", b"T*")  # the operators that place the next text
_MOVES_AND_SHOWS = (b"'", b'"')  # a move to the next line, then text


@dataclass(slots=True)
class _Piece:
    sep: str  # what pypdf wrote before it (spaces, line breaks)
    text: str
    x: float
    y: float
    em: float
    last: float = math.nan  # where the last operator a move placed drew its first glyph
    tail: int = 1  # how many operators drew from there to the piece's end
    joint: str | None = None  # what this module puts before it instead, once the line is a table row

    @property
    def end(self) -> float:
        text = self.text.rstrip()
        return max(self.x + self.em * _width(text), self.last + self.em * _width(text[-self.tail :]))


def _width(text: str) -> float:
    """Ems a run of text takes at least: CJK characters are an em wide, others about half."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def _where(cm, tm) -> tuple[float, float, float]:
    """Where a text matrix ``tm`` under ``cm`` puts the next glyph on the page, and its scale."""
    try:
        a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
        x = float(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])
        y = float(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
        return x, y, float(math.hypot(a, b))
    except (TypeError, ValueError, IndexError, OverflowError):  # a matrix a broken file did not give
        return math.nan, math.nan, math.nan


@dataclass(slots=True)
class _Line:
    pieces: list[_Piece] = field(default_factory=list)
    cell_x: float = 0.0  # where the current cell's first piece starts

    @property
    def top(self) -> float:
        return max(p.y for p in self.pieces)

    @property
    def bottom(self) -> float:
        return min(p.y for p in self.pieces)

    @property
    def cells(self) -> int:
        return 1 + sum(1 for p in self.pieces[1:] if p.joint == "\t")


def page_text(page) -> str:
    """The text of a pypdf page: pypdf's plain text, with table rows as tab-separated lines."""
    pieces: list[_Piece] = []
    pending: list[str] = []
    # Where each text-showing operator since the last piece drew its first glyph: pypdf hands its visitor
    # the text matrix it remembered at some earlier operator (the font change before a piece's Td, or the
    # Td of its second glyph), a glyph or more away from where the piece is drawn. A Chromium-printed page
    # draws glyph by glyph, some placed by a Td and some right after the glyph before (a Tj moves the
    # pen, pypdf's matrix does not follow), so prose showed em-wide gaps (认真 组织实施) and read as
    # table rows. Only an operator placed by a move (Td, Tm, T* ...) is where its matrix says; one that
    # follows the glyph before without a move is drawn right after it: no cell can start there.
    shown: list[tuple[float, float] | None] = []
    placed = [True]  # whether a move came since the last text was drawn

    def show(operator, operands, cm, tm) -> None:
        if operator in _MOVES:
            placed[0] = True
        elif operator in _SHOW:
            shown.append(_where(cm, tm)[:2] if placed[0] or operator in _MOVES_AND_SHOWS else None)
            placed[0] = False

    def visit(text, cm, tm, font_dict, font_size) -> None:
        body = text.lstrip()
        if not body or "\n" in body:  # a line break or spaces alone, or a piece pypdf already broke
            pending.append(text if not body else text[: len(text) - len(body)])
            if body:
                pieces.append(_Piece("".join(pending), body, math.nan, math.nan, 0.0))
                pending.clear()
                shown.clear()
            return
        pending.append(text[: len(text) - len(body)])
        em = abs(font_size * _where(cm, tm)[2]) if isinstance(font_size, (int, float)) else math.nan
        x = y = last = math.nan
        tail = 1
        if shown:
            before = pieces[-1] if pieces else None
            follows = (before.end, before.y) if before is not None and not math.isnan(before.x) else (x, y)
            x, y = shown[0] or follows
            # the last operator a move placed, and how many operators drew from there on (a glyph each
            # at least): the piece ends no sooner than their glyphs after it
            tail = next((n for n, at in enumerate(reversed(shown), 1) if at is not None), len(shown))
            last = shown[-tail][0] if shown[-tail] is not None else x
            shown.clear()
        # else a piece no operator of this page drew (pypdf's own spaces): where it is is unknown
        if not all(math.isfinite(v) for v in (x, y, em, last)) or em <= 0:
            x = y = last = math.nan
        pieces.append(_Piece("".join(pending), body, x, y, em, last, tail))
        pending.clear()

    plain = page.extract_text(visitor_text=visit, visitor_operand_after=show) or ""
    rebuilt = _join(_lines(pieces)) + "".join(pending)
    # The pieces spell pypdf's text; where they do not (a pypdf that calls its visitor otherwise), its
    # text is taken as it is.
    if _plain(pieces) + "".join(pending) != plain:
        return plain
    return rebuilt


def _plain(pieces: list[_Piece]) -> str:
    return "".join(p.sep + p.text for p in pieces)


def _lines(pieces: list[_Piece]) -> list[_Line]:
    lines: list[_Line] = []
    for piece in pieces:
        line = lines[-1] if lines else None
        prev = line.pieces[-1] if line else None
        if line is None or prev is None or math.isnan(piece.x) or math.isnan(prev.x):
            lines.append(_Line([piece], piece.x))
            continue
        joint = _joint(lines, prev, piece)
        if joint is None:
            if "\n" in piece.sep:
                lines.append(_Line([piece], piece.x))
            else:
                line.pieces.append(piece)
            continue
        line = lines[-1]  # _joint may have merged earlier lines into it
        piece.joint = joint
        line.pieces.append(piece)
        if joint == "\t":
            line.cell_x = piece.x
    return lines


def _joint(lines: list[_Line], prev: _Piece, piece: _Piece) -> str | None:
    """What goes between ``prev`` and ``piece`` in a table row, or None where they are not two parts of
    one (pypdf's own spaces and line breaks then stand)."""
    line = lines[-1]
    em = max(prev.em, piece.em)
    rise = piece.y - prev.y
    gap = piece.x - prev.end
    if abs(rise) <= SAME_LINE * em:
        return "\t" if gap >= CELL_GAP * em else None
    if rise > 0:  # drawn higher: the row's next cell, if it is to the right
        if gap < NEXT_CELL_GAP * em:
            return None
        if piece.y <= line.top + SAME_LINE * em:
            return "\t"
        if _merge_first_cell(lines, piece):
            return "\t"
        above = lines[-2] if len(lines) > 1 else None
        below_above = above is None or piece.y < above.bottom - SAME_LINE * em
        return "\t" if below_above and piece.y - line.top <= ROW_HEIGHT * em else None
    # drawn lower: the current cell's next line, in a row that has cells already (not a date set under a
    # row of signing bodies: it is a line of its own)
    if line.cells < 2 or -rise > WRAP_DROP * em or _DATE.match(piece.text):
        return None
    first = line.pieces[0]
    if piece.x >= line.cell_x - 1.5 * em and piece.x > first.x + 0.5 * em:
        return _glue(prev.text, piece.text)
    return None


def _merge_first_cell(lines: list[_Line], piece: _Piece) -> bool:
    """A cell of the first column wrapped over lines (序 over 号) before the row's next cell, drawn at the
    height of the row's middle or top: the cell's earlier lines join the current line, when with them
    the row reaches up to ``piece``. True when they did."""
    line = lines[-1]
    start = line.pieces[0]
    em = piece.em
    n, top = 0, line.top  # how many lines above join, and the row's top with them
    for above in reversed(lines[:-1]):
        head = above.pieces[0]
        if (
            above.cells > 1
            or math.isnan(head.x)
            or abs(head.x - start.x) > 0.5 * em
            or above.bottom - top > 1.6 * em
            or above.top > piece.y + (piece.y - start.y) + SAME_LINE * em
        ):
            break
        n, top = n + 1, above.top
    if not n or piece.y > top + SAME_LINE * em:
        return False
    merged = lines[-1 - n]
    for below in lines[len(lines) - n :]:
        below.pieces[0].joint = _glue(merged.pieces[-1].text, below.pieces[0].text)
        merged.pieces.extend(below.pieces)
    del lines[len(lines) - n :]
    merged.cell_x = merged.pieces[0].x
    return True


def _glue(before: str, after: str) -> str:
    """Chinese wraps between characters; only Latin words and numbers were parted at a space."""
    return " " if before[-1:].isascii() and before[-1:].isalnum() and after[:1].isascii() and after[:1].isalnum() else ""


def _is_row(line: _Line) -> bool:
    if line.cells < MIN_CELLS:
        return False
    cells, cell = [], ""
    for i, piece in enumerate(line.pieces):
        if i and piece.joint == "\t":
            cells.append(cell)
            cell = ""
        cell += piece.text.strip()
    cells.append(cell)
    if any(len(c) > MAX_CELL or "。" in c.rstrip("。") for c in cells):
        return False  # prose in columns, its blocks read as cells
    return any(len(c) > 1 for c in cells)


def _join(lines: list[_Line]) -> str:
    out: list[str] = []
    for line in lines:
        row = _is_row(line)
        start = len(out)
        for i, piece in enumerate(line.pieces):
            if row and i and piece.joint is not None:
                out.append(piece.joint + piece.text.strip() if piece.joint == "\t" else piece.joint + piece.text)
            elif row and i == 0 and out:
                out.append(("\n" if "\n" not in piece.sep else piece.sep) + piece.text)
            else:
                out.append(piece.sep + piece.text)
        if row:  # a date set under a row of signing bodies is a line of its own, not the last body's wrap
            text = "".join(out[start:])
            m = _TRAILING_DATE.search(unicodedata.normalize("NFKC", text))
            if m and "\t" not in text[m.start() :] and len(unicodedata.normalize("NFKC", text)) == len(text):
                out[start:] = [text[: m.start()], "\n", text[m.start() :]]
    return "".join(out)
