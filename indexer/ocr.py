"""Scanned PDFs: the text of page images, read with RapidOCR (PP-OCR models on ONNX Runtime, shipped
inside the ``rapidocr_onnxruntime`` wheel, so nothing is downloaded).

Government documents very often come scanned. A page whose text layer is empty is read from its
largest image, line by line:

1. the detector finds text boxes; the page's rules (long thin lines) are found in its ink, and where
   they cross as a table's grid (three column rules at least) each box inside goes to its cell: a row
   of the table is one line, its cells joined by tabs (a cell wrapped over lines read whole);
2. the other boxes on the same row make a line, parted into cells where boxes stand wide apart;
3. a part is widened to all the ink of its row that lies close to it (the rules left out): the detector
   tends to miss a full-width bracket number at the start of a line (（一）加强… came back as 加强…),
   and a plan's tree is built from exactly those numbers;
4. a widened part, or one of several boxes, is read again whole by the recognizer (no detection), the
   others keep their text; never across a gap between cells or a table's rules;
5. figures OCR misreads are put right (``fix_text``).

Lines come back top to bottom, one per text line, as ``extract_text`` gives them for a text PDF; the
PDF reader then removes page furniture and rejoins wrapped lines as for any PDF.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import numpy as np

from . import ocrlayout as layout
from .ocrlayout import FIGURE_GAP, INK, MIN_SCORE
from .targets import join_spaced_figures

SPECKS = 0.0005  # a page with more isolated ink pixels than this share of its area is despeckled first
MAX_SECONDS = 1800.0  # all pages of one document (about 3–10 s a page on two cores)
_GAP = 1.5  # ink further from a line than this many line heights is another column, not its number


# Who hears of each page read: the CLI prints it, the app moves its progress bar (see ``reporting``).
_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("ocr_progress", default=None)


@contextlib.contextmanager
def reporting(callback: Callable[[int, int], None]) -> Iterator[None]:
    """While inside, ``callback(done, total)`` is called before the first scanned page and after each
    one (OCR takes seconds a page: a reader wants to see it move)."""
    token = _PROGRESS.set(callback)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


class OcrUnavailable(RuntimeError):
    """The OCR engine is not installed."""


def available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except Exception:  # ImportError, or OpenCV missing a system library
        return False
    return True


def engine_id() -> str:
    """The OCR engine and its version ("rapidocr_onnxruntime 1.4.4"), "" when none is installed: a build
    remembers a scan it read as blank only for the engine that read it."""
    if not available():
        return ""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"rapidocr_onnxruntime {version('rapidocr_onnxruntime')}"
    except PackageNotFoundError:
        return "rapidocr_onnxruntime"


@functools.lru_cache(maxsize=1)
def _engine():
    import logging

    try:
        from rapidocr_onnxruntime import RapidOCR
    except Exception as err:
        raise OcrUnavailable("the OCR engine (rapidocr_onnxruntime) is not installed") from err
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return RapidOCR()


def page_image(page):
    """The largest image of a PDF page (a scanned page is one image), as a PIL image, or None."""
    best, area = None, 0
    for image in page.images:
        try:
            pil = image.image
        except Exception:  # an image pypdf cannot decode is no text
            continue
        if pil is not None and pil.width * pil.height > area:
            best, area = pil, pil.width * pil.height
    return best


def read_image(pil) -> list[str]:
    """The text lines of an image, top to bottom; a row of a ruled table is one line, its cells joined
    by tabs (as a Word table's rows are read)."""
    engine = _engine()
    page = _despeckled(pil)
    rgb = np.asarray(page.convert("RGB"))
    gray = np.asarray(page)
    result, _ = engine(rgb)
    if not result:
        return []
    boxes = []
    for points, text, score in result:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        boxes.append((min(ys), max(ys), min(xs), max(xs), text, float(score)))
    height = float(np.median([b[1] - b[0] for b in boxes]))
    ink = gray < INK
    horizontal, vertical, rule_ink = layout.rules(ink, height)
    bare = np.where(rule_ink, 255, gray)  # the page less its rules: a box's border is not its line's ink
    tables = layout.tables(horizontal, vertical, height)
    placed: list[tuple[float, str]] = []  # (top, line)
    rest = []
    in_table: list[list[tuple]] = [[] for _ in tables]
    for box in boxes:
        cy, cx = (box[0] + box[1]) / 2, (box[2] + box[3]) / 2
        k = next((k for k, t in enumerate(tables) if t.contains(cx, cy)), None)
        if k is None:
            rest.append(box)
        else:
            in_table[k].append(box)
    for table, inside in zip(tables, in_table, strict=True):
        placed.extend(layout.table_lines(engine, rgb, bare, table, inside, height))
    for line in layout.rows(rest):
        parts = _segments_of(line)
        texts = [_read_segment(engine, rgb, bare, part, i == 0, i == len(parts) - 1) for i, part in enumerate(parts)]
        placed.append((min(b[0] for b in line), "\t".join(texts)))
    placed.sort(key=lambda item: item[0])
    # a row's empty first or last cell keeps its tab: the cells after it stay in their columns
    lines = [fix_text(text).strip(" ") for _, text in placed]
    return [line for line in lines if line.strip()]


def _segments_of(line: list[tuple]) -> list[list[tuple]]:
    """The boxes of a text row, left to right, parted where a gap between two boxes is wider than ``_GAP``
    line heights (or, between two figures, one line height): the cells of a table without rules, or the
    parts of a line set apart on purpose (a name and a date). A part is read on its own: read whole with
    its neighbours, the recognizer ran the cells together (412 and 520 became 412520) or lost them."""
    boxes = sorted(line, key=lambda b: b[2])
    height = float(np.median([b[1] - b[0] for b in boxes]))
    parts = [[boxes[0]]]
    for box in boxes[1:]:
        prev = parts[-1][-1]
        gap = box[2] - prev[3]
        numbers = bool(re.search(r"[\d%％]$", prev[4].strip()) and re.match(r"[\d≥≤<>＜＞+\-－.]", box[4].strip()))
        if gap > _GAP * height or (numbers and gap > FIGURE_GAP * height):
            parts.append([box])
        else:
            parts[-1].append(box)
    if all(re.fullmatch(r"[\u3400-\u9fff]", "".join(b[4] for b in part).strip()) for part in parts):
        return [boxes]  # a word spaced out letter by letter (目　　录, 前　　言) is one word
    return parts


def _read_segment(engine, rgb: np.ndarray, bare: np.ndarray, seg: list[tuple], first: bool, last: bool) -> str:
    """A run of boxes of one text line: widened to the ink close to it (at the line's ends only), and read
    again whole when it was widened or is several boxes (the recognizer reads a line better whole)."""
    top, bottom = min(b[0] for b in seg), max(b[1] for b in seg)
    left, right = min(b[2] for b in seg), max(b[3] for b in seg)
    text = "".join(b[4] for b in seg)
    wide_left, wide_right = _ink_extent(bare, int(top), int(bottom), int(left), int(right))
    wide_left = wide_left if first else int(left)
    wide_right = wide_right if last else int(right)
    height = bottom - top
    if len(seg) > 1 or left - wide_left > 0.3 * height or wide_right - right > 0.3 * height:
        pad = max(2, int(0.15 * height))
        crop = rgb[max(0, int(top) - pad) : int(bottom) + pad, max(0, wide_left - pad) : wide_right + pad]
        again, _ = engine(crop, use_det=False, use_cls=False)
        if again and float(again[0][1]) >= MIN_SCORE and again[0][0].strip():
            text = again[0][0]
    return text.strip()


def _despeckled(pil):
    """The page in grey, with the specks of a photocopy or a fax removed when it has many: an ink pixel
    with at most one ink neighbour is a speck (or the tip of a stroke, which loses one pixel). Specks are
    ink to the recognizer and to the line widening: on a page with 0.5 % specks a line was widened to the
    whole row and its number lost (一、重点任务 came back as 重点任务). A median filter also removes them,
    but it erases a thin 一 and the numbers inside brackets."""
    gray = pil.convert("L")
    pixels = np.asarray(gray)
    ink = pixels < INK
    padded = np.pad(ink, 1).astype(np.uint8)
    neighbours = sum(
        padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
        if dy or dx
    )
    if (ink & (neighbours == 0)).mean() <= SPECKS:
        return gray
    from PIL import Image

    clean = pixels.copy()
    clean[ink & (neighbours <= 1)] = 255
    return Image.fromarray(clean)


# --- OCR's misreadings of figures ----------------------------------------------------------------------

# 一 between two digits is a dash read as the numeral one: 1一2个, 2026一2030年 (1—2个, 2026—2030年).
_ONE_AS_DASH = re.compile(r"(?<=\d) ?一 ?(?=\d)")
# A space inside a figure (the recognizer spaces the wide full-width digits of １２５６亿元: 1 256亿元) is
# removed only where the digits after it come in groups of three with a unit after them (targets.
# SPACED_FIGURE): two cells of a table are never inside one cell, and a row's cells are parted by tabs.


def fix_text(text: str) -> str:
    """The figures of a line of OCR output as printed: 1一2个 → 1—2个, 1 256亿元 → 1256亿元."""
    return join_spaced_figures(_ONE_AS_DASH.sub("—", text))


# Text of pages already read in this process, by the sha256 of their pixels: an upload is test-read
# and then read again by the index update that follows, and OCR takes seconds a page.
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_PAGES = 2000
_CACHE_LOCK = threading.Lock()


def _pixels_key(pil) -> str:
    digest = hashlib.sha256(f"{pil.mode} {pil.width}x{pil.height}\0".encode())
    digest.update(pil.tobytes())
    return digest.hexdigest()


def read_pages(pages, deadline: float | None = None) -> list[str]:
    """OCR text of each page (``''`` for a page without an image); a page read before in this process
    (the same pixels) is not read again."""
    deadline = deadline or time.monotonic() + MAX_SECONDS
    report = _PROGRESS.get() or (lambda done, total: None)
    out = []
    report(0, len(pages))
    for page in pages:
        if time.monotonic() > deadline:
            raise TimeoutError(f"OCR took over {MAX_SECONDS:.0f} s")
        pil = page_image(page)
        if pil is None:
            out.append("")
        else:
            key = _pixels_key(pil)
            with _CACHE_LOCK:
                text = _CACHE.get(key)
            if text is None:
                text = "\n".join(read_image(pil))
                with _CACHE_LOCK:
                    _CACHE[key] = text
                    while len(_CACHE) > _CACHE_PAGES:
                        _CACHE.popitem(last=False)
            out.append(text)
        report(len(out), len(pages))
    return out


def _ink_extent(gray: np.ndarray, top: int, bottom: int, left: int, right: int) -> tuple[int, int]:
    """The columns of ink in a line's band that continue the line leftwards and rightwards (gaps of at
    most ``_GAP`` line heights)."""
    band = gray[max(0, top) : max(top + 1, bottom), :]
    ink = (band < INK).any(axis=0)
    gap = max(1, int(_GAP * (bottom - top)))
    x, blank = left, 0
    wide_left = left
    while x > 0 and blank <= gap:
        x -= 1
        if ink[x]:
            wide_left, blank = x, 0
        else:
            blank += 1
    x, blank = right, 0
    wide_right = right
    while x < len(ink) - 1 and blank <= gap:
        x += 1
        if ink[x]:
            wide_right, blank = x, 0
        else:
            blank += 1
    return wide_left, wide_right


def character_error_rate(expected: str, got: str) -> float:
    """Edit distance over the expected length, spaces and line breaks ignored (how OCR is judged:
    tests/test_ocr.py and bench/bench_ocr.py)."""
    a, b = "".join(expected.split()), "".join(got.split())
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] / max(len(a), 1)
