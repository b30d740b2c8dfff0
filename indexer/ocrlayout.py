"""The layout of a scanned page's text boxes: text lines (rows of boxes), the page's rules, and ruled tables
read cell by cell (each box in the cell its centre lies in, a cell wrapped over lines read whole, a cell the
detector missed read from its ink). Used by ``indexer.ocr``, which reads the boxes and the rest of the page.
"""

from __future__ import annotations

import bisect
import re

import numpy as np

INK = 128  # a pixel darker than this (of 255) is ink
MIN_SCORE = 0.5  # a recognized line below this confidence keeps the detector's text


# --- ruled tables ---------------------------------------------------------------------------------------
#
# A table printed with rules is read cell by cell. Read as text lines, its rows came out as garbage: a
# cell wrapped over two lines sits between the lines of its neighbours, so a "line" took boxes of two
# rows and was read again as one band across the cell borders (cells twice, mixed, 12.5 as 12.52222), and
# single-line cells ran together (铁路营业里程公里412520预期性). The rules give the grid: each box goes to
# the cell its centre lies in, a cell's lines are joined, and a row is its cells joined by tabs.

_H_RULE = 4.0  # a horizontal rule is at least this many line heights long
_V_RULE = 2.0  # a vertical rule at least this many (longer than any stroke of a character)
FIGURE_GAP = 1.0  # two figures further apart than this many line heights are two cells (412 | 520)


def _runs(mask: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of True along each row of ``mask`` at least ``min_len`` long: (row, start, end)."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    rows, cols = np.nonzero(np.diff(padded, axis=1))
    rows, starts, ends = rows[0::2], cols[0::2], cols[1::2]
    keep = ends - starts >= min_len
    return rows[keep], starts[keep], ends[keep]


def _lines_of(mask: np.ndarray, min_len: int, tolerance: int) -> list[list[int]]:
    """Long runs along the rows of ``mask`` merged into rules: [row from, row to, start, end]. A rule of a
    slightly skewed page is a staircase of runs on neighbouring rows."""
    rules: list[list[int]] = []
    for row, start, end in zip(*_runs(mask, min_len), strict=True):
        found = None
        for rule in reversed(rules):
            if rule[1] < row - tolerance:
                break  # rules are kept in the order of their last row: the others are further up
            if start <= rule[3] + tolerance and end >= rule[2] - tolerance:
                found = rule
                break
        if found is None:
            rules.append([int(row), int(row), int(start), int(end)])
        else:
            found[1], found[2], found[3] = int(row), min(found[2], int(start)), max(found[3], int(end))
            rules.remove(found)
            rules.append(found)
    return rules


def rules(ink: np.ndarray, height: float) -> tuple[list[list[int]], list[list[int]], np.ndarray]:
    """The horizontal rules ([y from, y to, x from, x to]) and the vertical ones ([x from, x to, y from,
    y to]) of a page, and the mask of their pixels."""
    grown = ink.copy()  # a pixel either side: a rule one pixel thick on a skewed page stays one run longer
    grown[1:] |= ink[:-1]
    grown[:-1] |= ink[1:]
    tolerance = 3
    horizontal = _lines_of(grown, max(20, int(_H_RULE * height)), tolerance)
    grown = ink.copy()
    grown[:, 1:] |= ink[:, :-1]
    grown[:, :-1] |= ink[:, 1:]
    vertical = _lines_of(grown.T, max(20, int(_V_RULE * height)), tolerance)
    # a rule is thin (a skewed one a little thicker over its length): a dark area (a photo, the black
    # margin of a scan) is no rule
    horizontal = [r for r in horizontal if r[1] - r[0] <= 0.4 * height + 0.02 * (r[3] - r[2])]
    vertical = [r for r in vertical if r[1] - r[0] <= 0.4 * height + 0.02 * (r[3] - r[2])]
    mask = np.zeros_like(ink)
    for y0, y1, x0, x1 in horizontal:
        mask[max(0, y0 - 1) : y1 + 2, x0:x1] = True
    for x0, x1, y0, y1 in vertical:
        mask[y0:y1, max(0, x0 - 1) : x1 + 2] = True
    return horizontal, vertical, mask & ink


class _Table:
    """The grid of a ruled table: row lines ``ys`` and column lines ``xs`` (its outer edges included),
    and which elementary cells are one (a cell spanning columns or rows has no rule inside it)."""

    def __init__(self, horizontal: list[list[int]], vertical: list[list[int]], tolerance: float, height: float):
        self.h, self.v, self.t = horizontal, vertical, tolerance
        top = min([r[0] for r in horizontal] + [r[2] for r in vertical])
        bottom = max([r[1] for r in horizontal] + [r[3] for r in vertical])
        left = min([r[2] for r in horizontal] + [r[0] for r in vertical])
        right = max([r[3] for r in horizontal] + [r[1] for r in vertical])
        # the table's edges where no rule runs along them (a table open at its sides, or cut by the page's
        # end); an end of a rule sticking out past the last rule across it (a skewed page) is no edge
        self.ys = _with_edges(_merged([(r[0] + r[1]) / 2 for r in horizontal], tolerance), top, bottom, height / 2)
        self.xs = _with_edges(_merged([(r[0] + r[1]) / 2 for r in vertical], tolerance), left, right, height / 2)
        rows, cols = len(self.ys) - 1, len(self.xs) - 1
        self.root = list(range(rows * cols))
        for i in range(rows):
            for j in range(cols):
                if j + 1 < cols and not self._v_rule(self.xs[j + 1], self.ys[i], self.ys[i + 1]):
                    self._join(i * cols + j, i * cols + j + 1)
                if i + 1 < rows and not self._h_rule(self.ys[i + 1], self.xs[j], self.xs[j + 1]):
                    self._join(i * cols + j, (i + 1) * cols + j)

    def _v_rule(self, x: float, y0: float, y1: float) -> bool:
        mid = (y0 + y1) / 2
        return any(abs((r[0] + r[1]) / 2 - x) <= self.t and r[2] <= mid <= r[3] for r in self.v)

    def _h_rule(self, y: float, x0: float, x1: float) -> bool:
        mid = (x0 + x1) / 2
        return any(abs((r[0] + r[1]) / 2 - y) <= self.t and r[2] <= mid <= r[3] for r in self.h)

    def _find(self, k: int) -> int:
        while self.root[k] != k:
            self.root[k] = self.root[self.root[k]]
            k = self.root[k]
        return k

    def _join(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a != b:
            self.root[max(a, b)] = min(a, b)

    def contains(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def cell_at(self, x: float, y: float) -> tuple[int, int]:
        """(row, column) of the elementary cell holding the point."""
        i = min(max(bisect.bisect_right(self.ys, y) - 1, 0), len(self.ys) - 2)
        j = min(max(bisect.bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        return i, j

    def cell(self, i: int, j: int) -> int:
        """The cell (its first elementary cell) that the elementary cell (i, j) is part of."""
        return self._find(i * (len(self.xs) - 1) + j)

    def borders_inside(self, x0: float, x1: float, y: float, margin: float) -> list[float]:
        """The column rules crossing the span x0..x1 at height y, ``margin`` in from both ends."""
        i, _ = self.cell_at(x0, y)
        return [x for x in self.xs[1:-1] if x0 + margin < x < x1 - margin and self._v_rule(x, self.ys[i], self.ys[i + 1])]


def _with_edges(lines: list[float], low: float, high: float, margin: float) -> list[float]:
    """The lines, and ``low`` and ``high`` where they lie further than ``margin`` beyond the outer lines."""
    return ([low] if not lines or lines[0] - low > margin else []) + lines + ([high] if not lines or high - lines[-1] > margin else [])


def _merged(values: list[float], tolerance: float) -> list[float]:
    """Sorted values, those within ``tolerance`` of each other as one (their mean)."""
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def tables(horizontal: list[list[int]], vertical: list[list[int]], height: float) -> list[_Table]:
    """The ruled tables of a page: rules that cross, with at least three column rules (two columns; a
    framed box, such as a 专栏, has two and is read as text)."""
    tolerance = max(4.0, 0.2 * height)
    n = len(horizontal)
    root = list(range(n + len(vertical)))

    def find(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = root[k]
        return k

    for a, (hy0, hy1, hx0, hx1) in enumerate(horizontal):
        y = (hy0 + hy1) / 2
        for b, (vx0, vx1, vy0, vy1) in enumerate(vertical):
            x = (vx0 + vx1) / 2
            if hx0 - tolerance <= x <= hx1 + tolerance and vy0 - tolerance <= y <= vy1 + tolerance:
                root[find(a)] = find(n + b)
    groups: dict[int, list[int]] = {}
    for k in range(len(root)):
        groups.setdefault(find(k), []).append(k)
    tables = []
    for members in groups.values():
        hs = [horizontal[k] for k in members if k < n]
        vs = [vertical[k - n] for k in members if k >= n]
        if hs and len(_merged([(r[0] + r[1]) / 2 for r in vs], tolerance)) >= 3:
            tables.append(_Table(hs, vs, tolerance, height))
    return tables


def table_lines(engine, rgb: np.ndarray, bare: np.ndarray, table: _Table, boxes: list[tuple], height: float):
    """(top, row) for each row of a ruled table: its cells' text joined by tabs; a cell spanning rows is
    written in each (as a Word table's merged cell is read), one spanning columns once."""
    pieces: list[tuple] = []
    for box in boxes:  # a box the detector drew across a column rule is read again on each side of it
        cy = (box[0] + box[1]) / 2
        cuts = table.borders_inside(box[2], box[3], cy, 0.5 * (box[1] - box[0]))
        if not cuts:
            pieces.append(box)
            continue
        edges = [box[2], *cuts, box[3]]
        for x0, x1 in zip(edges, edges[1:], strict=False):
            text, score = _recognize(engine, rgb, box[0], box[1], x0 + 2, x1 - 2)
            if text:
                pieces.append((box[0], box[1], x0, x1, text, score))
    texts: dict[int, list[tuple]] = {}
    for box in pieces:
        i, j = table.cell_at((box[2] + box[3]) / 2, (box[0] + box[1]) / 2)
        texts.setdefault(table.cell(i, j), []).append(box)
    out, grid = [], []
    rows, cols = len(table.ys) - 1, len(table.xs) - 1
    for i in range(rows):
        cells, seen = [], set()
        for j in range(cols):
            k = table.cell(i, j)
            if k in seen:
                continue
            seen.add(k)
            if k not in texts and table.ys[i + 1] - table.ys[i] >= 0.8 * height:
                texts[k] = _unseen_ink(engine, rgb, bare, table, k, height)
            cells.append((j, _cell_text(texts.get(k, []))))
        grid.append(cells)
    # a lone 一 is a dash (a value left out) unless its column counts 一, 二, 三 (a 序号 column)
    counted = {j for cells in grid for j, text in cells if _NUMERAL.match(text)}
    for i, cells in enumerate(grid):
        texts_of = [("—" if text == "一" and j not in counted else text) for j, text in cells]
        if any(texts_of):
            out.append((table.ys[i], "\t".join(texts_of)))
    return out


def _unseen_ink(engine, rgb: np.ndarray, bare: np.ndarray, table: _Table, k: int, height: float) -> list[tuple]:
    """What is printed in a cell where the detector found no text (a lone — or a one-digit number the
    detector passed over): the ink inside the cell's rules, read by the recognizer; [] when blank."""
    members = [(i, j) for i in range(len(table.ys) - 1) for j in range(len(table.xs) - 1) if table.cell(i, j) == k]
    top, bottom = table.ys[min(i for i, _ in members)], table.ys[max(i for i, _ in members) + 1]
    left, right = table.xs[min(j for _, j in members)], table.xs[max(j for _, j in members) + 1]
    inset = int(table.t) + 2
    y0, y1, x0, x1 = int(top) + inset, int(bottom) - inset, int(left) + inset, int(right) - inset
    if y1 <= y0 or x1 <= x0:
        return []
    ink = bare[y0:y1, x0:x1] < INK
    if ink.sum() < 0.3 * height:  # less ink than a thin dash a third of a character wide: a blank cell
        return []
    ys, xs = np.nonzero(ink)
    if ys.max() - ys.min() < max(3, 0.2 * height) and xs.max() - xs.min() >= 0.3 * height:
        # a flat stroke alone: a dash, the value left out (the recognizer is unsure of a lone —)
        return [(y0 + ys.min(), y0 + ys.max(), x0 + xs.min(), x0 + xs.max(), "—", 1.0)]
    # a line of text's height at least, as the recognizer reads lines (a dash alone is one pixel high)
    middle, half = y0 + (ys.min() + ys.max()) / 2, max(ys.max() - ys.min(), height) / 2
    top, bottom, left, right = middle - half, middle + half, x0 + xs.min(), x0 + xs.max()
    text, score = _recognize(engine, rgb, top, bottom, left, right, pad=int(0.3 * height))
    return [(top, bottom, left, right, text, score)] if text else []


def _recognize(engine, rgb: np.ndarray, top, bottom, left, right, pad: int = 2) -> tuple[str, float]:
    """The recognizer's reading of a part of the page ('' when unsure)."""
    crop = rgb[max(0, int(top) - pad) : int(bottom) + pad + 1, max(0, int(left) - pad) : int(right) + pad + 1]
    if crop.size == 0:
        return "", 0.0
    again, _ = engine(crop, use_det=False, use_cls=False)
    if again and float(again[0][1]) >= MIN_SCORE and again[0][0].strip():
        return again[0][0].strip(), float(again[0][1])
    return "", 0.0


_DASHES = re.compile(r"^(?!一$)[-－—–一~～_]+$")
_NUMERAL = re.compile(r"^[二三四五六七八九十]{1,3}$")


def _cell_text(boxes: list[tuple]) -> str:
    """A cell's text: its lines top to bottom, each line's boxes left to right (a cell's wrapped lines
    join without a space, but Latin words keep one). A cell of nothing but dashes is —, its value
    missing (a lone 一, which may also be the numeral, is judged with its column: ``_table_lines``)."""
    out = ""
    for line in rows(boxes):
        text = "".join(b[4].strip() for b in sorted(line, key=lambda b: b[2]))
        glue = " " if out and text and out[-1].isascii() and out[-1].isalpha() and text[0].isascii() and text[0].isalpha() else ""
        out += glue + text
    return "—" if _DASHES.match(out) else out


def rows(boxes: list[tuple]) -> list[list[tuple]]:
    """Boxes grouped into text lines: a box joins a line when they overlap by half the smaller height."""
    rows: list[list[tuple]] = []
    for box in sorted(boxes, key=lambda b: ((b[0] + b[1]) / 2, b[2])):
        if rows:
            last = rows[-1]
            top, bottom = min(b[0] for b in last), max(b[1] for b in last)
            overlap = min(bottom, box[1]) - max(top, box[0])
            if overlap >= 0.5 * min(bottom - top, box[1] - box[0]):
                last.append(box)
                continue
        rows.append([box])
    return rows
