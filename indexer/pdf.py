"""PDF → text: the text layer of each page (OCR for pages without one), page furniture dropped, lines
the layout wrapped rejoined. ``indexer.load`` calls :func:`pdf_text`; pypdf is imported inside it, so
importing this module stays cheap.
"""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
import warnings

from .clean import RADICALS
from .doctypes import DOC_TYPES
from .errors import UnreadableSource
from .furniture import DATE_LINE
from .numbering import HEADING_START
from .pdfcells import page_text
from .targets import spaced_figure_at
from .textnorm import simplify

# No single stream may unpack past this (pypdf's own default is 75 MB), nor the text of a file.
MAX_PDF_STREAM_BYTES = 32 * 1024 * 1024
MAX_TEXT_CHARS = 50_000_000
MAX_PDF_PAGES = 3000  # more than any plan; a page tree that lists one page a million times is refused
PDF_SECONDS = 180.0  # text extraction past this is refused (a small file can be built to take hours)


# Why a PDF is skipped when neither its text layer nor OCR of its page images gives any text: the one reason
# that depends on the file's content alone, so a build may remember it (manifest.UnreadableEntry).
NO_TEXT = "no text layer and no readable text in its page images"

def pdf_text(where: str, data: bytes) -> tuple[str, int]:
    """(text of every page, with page furniture dropped and layout line wraps rejoined; the number of
    pages read from their image by OCR)."""
    from pypdf import apply_configuration
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    limits = {
        name: MAX_PDF_STREAM_BYTES
        for name in (
            "zlib_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "array_based_stream_maximum_output_length",
            "jbig2_maximum_output_length",
        )
    }
    # pypdf reports recoverable oddities through logging and warnings: the user gets our one line instead.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), apply_configuration(**limits):
            warnings.simplefilter("ignore")
            pages, reader_pages = _pdf_pages(where, data)
            text_layer = sum(1 for page in pages if page.strip())
            pages = _ocr_blank_pages(where, pages, reader_pages)
            ocr_pages = sum(1 for page in pages if page.strip()) - text_layer
    except UnreadableSource:
        raise
    except LimitReachedError as err:
        raise UnreadableSource(
            where, "refused: a stream unpacks to far more than its packed size (a PDF bomb?)"
        ) from err
    except DependencyError as err:  # an optional piece pypdf needs for this file is not installed
        raise UnreadableSource(where, _missing_piece(str(err))) from err
    except FileNotDecryptedError as err:
        raise UnreadableSource(where, "encrypted PDF (password protected)") from err
    except Exception as err:  # pypdf raises many types (PdfReadError, ValueError, KeyError …) on bad files
        raise UnreadableSource(where, "corrupt or unreadable PDF") from err
    finally:
        log.setLevel(level)
    if not any(page.strip() for page in pages):
        raise UnreadableSource(where, NO_TEXT)
    return _clean_pdf_pages(pages), ocr_pages


def _missing_piece(message: str) -> str:
    """The reason for pypdf's DependencyError, naming what is missing: its message says which piece."""
    lowered = message.lower()
    if "jbig2" in lowered:  # scans compressed as JBIG2 are decoded (for OCR) by the jbig2dec program
        return "scanned pages compressed as JBIG2; install the 'jbig2dec' program to read them"
    if "brotli" in lowered:
        return "a stream compressed with Brotli; install the 'brotli' package to read it"
    return "AES-encrypted PDF; install the 'cryptography' package to read it"


def _ocr_blank_pages(where: str, pages: list[str], reader_pages) -> list[str]:
    """A scanned PDF (or scanned pages in one): the pages without a text layer are read from their images."""
    blank = [i for i, text in enumerate(pages) if not text.strip()]
    if not blank:
        return pages
    from . import ocr

    with_images = [i for i in blank if reader_pages[i].images]
    if not with_images:
        return pages
    if not ocr.available():
        raise UnreadableSource(where, "scanned PDF, and the OCR engine (rapidocr_onnxruntime) is not installed")
    try:
        read = ocr.read_pages([reader_pages[i] for i in with_images])
    except TimeoutError as err:
        raise UnreadableSource(
            where, f"refused: OCR took over {ocr.MAX_SECONDS:.0f} s (too many scanned pages)"
        ) from err
    out = list(pages)
    for i, text in zip(with_images, read, strict=True):
        out[i] = text
    return out


def _pdf_pages(where: str, data: bytes):
    """The extracted text of each page (at most MAX_TEXT_CHARS in all), and the pages themselves."""
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(io.BytesIO(data))
    # Many published PDFs are encrypted only to restrict printing or copying: the empty user
    # password opens them, and reading their text is what any viewer does.
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise UnreadableSource(where, "encrypted PDF (password protected)")
    if len(reader.pages) == 0:
        raise UnreadableSource(where, "corrupt or unreadable PDF (no pages)")
    if len(reader.pages) > MAX_PDF_PAGES:
        raise UnreadableSource(where, f"refused: {len(reader.pages)} pages (at most {MAX_PDF_PAGES})")
    pages, chars, seen = [], 0, set()
    started = time.monotonic()
    for page in reader.pages:
        ref = getattr(page.indirect_reference, "idnum", None)
        if ref is not None and ref in seen:
            raise UnreadableSource(where, "refused: the same page is listed again and again (a PDF bomb?)")
        seen.add(ref)
        pages.append(page_text(page))
        chars += len(pages[-1])
        if chars > MAX_TEXT_CHARS:
            raise UnreadableSource(where, "refused: far more text than any plan (a PDF bomb?)")
        if time.monotonic() - started > PDF_SECONDS:
            raise UnreadableSource(where, f"refused: reading its text took over {PDF_SECONDS:.0f} s (a PDF bomb?)")
    return pages, reader.pages


_PAGE_NUMBER = re.compile(
    r"[-－—–~～_\s]*\d{1,4}[-－—–~～_\s]*"  # 3, - 3 -, — 3 —
    # — 3 — as OCR reads it: a dash taken for 一 (—3一, -1一, 一7一); dashes on both sides, so a line that
    # opens with the numeral (一、总体要求, 一3) is never taken for one
    r"|[-－—–~～_一\s]*[-－—–~～_一]\s*\d{1,4}\s*[-－—–~～_一][-－—–~～_一\s]*"
    r"|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"  # 第3页, 第 3 页 共 10 页
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+"  # 3/10
    r"|page\s*\d+(?:\s*(?:of|/)\s*\d+)?",
    re.IGNORECASE,
)
# A line that opens with a heading number starts a new paragraph: the one grammar of ``numbering``.
_HEADING = HEADING_START
_SENTENCE_END = frozenset("。！？；：…!?;:")
_CLOSERS = "”’」』》）)】\"'"
_TITLE_LINES = 3  # a title is set on at most this many lines
_EDGE_LINES = 3  # how deep into a page's top and bottom headers, footers and page numbers may sit
_MAX_FURNITURE_LEN = 40
_SHORT_LINE = 0.7  # a line this much narrower than the text column ends its paragraph
# A title ends in its type word (…规划, …的通知), or in a bracketed note after it (…行动计划（2026—2028年）,
# …办法（试行）): the line after it starts a new paragraph.
# Spaces a PDF's text layer puts beside Chinese punctuation (“ 十四五 ” 规划, —— 知识产权…, 。  知识产权):
# layout, not text - they split a title and hide a run-in lead (——知识产权发展环境显著改善。). Spaces between
# two ideographs (中共中央 国务院) and tabs (table cells) stay.
_CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20“”‘’—…·"
_LAYOUT_SPACE = re.compile(
    rf"(?<=[{_CJK_PUNCT}]) +(?=[\u3400-\u9fff{_CJK_PUNCT}])|(?<=[\u3400-\u9fff]) +(?=[{_CJK_PUNCT}])"
)
_TYPE_WORD = re.compile("|".join(DOC_TYPES))
_TITLE_END = re.compile(f"(?:{_TYPE_WORD.pattern})(?:[(（][^()（）]{{1,20}}[)）])?[》”]?$")


def _clean_pdf_pages(pages: list[str]) -> str:
    """Join the extracted text of PDF pages into plain text.

    Drops page numbers and running headers/footers (short lines repeating at the top or bottom of most
    pages), then rejoins lines that the page layout wrapped mid-sentence. Pages are joined like lines,
    so a sentence running across a page break is rejoined too. The top of the first page keeps one
    repeated line when it is the plan's title (a running header that repeats the title, over the title
    itself or standing for it): it names a document type and no title follows it on that page. A date
    alone on its line is never a running header: a notice dated at the foot of page 1 and a plan signed
    at the foot of the last page are two dates at page edges, not furniture.
    """
    page_lines = [[line for line in page.replace("\r\n", "\n").split("\n") if line.strip()] for page in pages]
    repeated = _repeated_edge_lines(page_lines)
    lines: list[str] = []
    for number, page in enumerate(page_lines):
        start, end = _furniture_bounds(page, repeated)
        text = page[start:end] if number else _first_page(page, start, end, repeated)
        if text and lines and _repeats_header_row(lines, text[0]):
            text = text[1:]
        lines.extend(text)
    # radicals first (⼗ is 十): the spaces are judged by the characters beside them
    return _LAYOUT_SPACE.sub("", "\n".join(_rejoin(lines)).translate(RADICALS))


def _first_page(page: list[str], start: int, end: int, repeated: frozenset[str]) -> list[str]:
    """Page 1's text, with its title back: the last repeated line dropped from its top that names a
    document type (a running header that repeats the title, and the title itself under it, are one line).
    The next lines that spell that line over two or three lines are the title set so: they give way to it
    on one line. Other text that goes on with a title of its own in its next two lines (a notice's title)
    keeps it dropped."""
    text = page[start:end]
    titles = [line for line in page[:start] if _furniture_key(line) in repeated and _names_type(line)]
    if not titles:
        return text
    title = titles[-1]
    for n in range(_TITLE_LINES, 1, -1):
        if len(text) > n and _furniture_key("".join(text[:n])) == _furniture_key(title):
            return [title, *text[n:]]
    if any(_names_type(line) and not re.search(r"[，。；]", line) for line in text[:2]):
        return text
    return [title, *text]


def _repeats_header_row(lines: list[str], first: str) -> bool:
    """Whether a page's first line is the header row of the table that the page before ended in, printed
    again over the table's rest (a table that runs over a page break repeats its header)."""
    if "\t" not in first or not lines or "\t" not in lines[-1]:
        return False
    i = len(lines) - 1
    while i > 0 and "\t" in lines[i - 1]:
        i -= 1
    return re.sub(r"\s+", "", lines[i]) == re.sub(r"\s+", "", first)


def _names_type(line: str) -> bool:
    return bool(_TYPE_WORD.search(simplify(line)))


def _furniture_key(line: str) -> str:
    # Digits vary from page to page ("规划 第3页"), the rest of a running header does not.
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _repeated_edge_lines(pages: list[list[str]]) -> frozenset[str]:
    counts: dict[str, int] = {}
    for page in pages:
        edge = [*range(min(_EDGE_LINES, len(page))), *range(max(0, len(page) - _EDGE_LINES), len(page))]
        for key in {
            _furniture_key(page[i])
            for i in dict.fromkeys(edge)
            # a table's header row printed again on each page, rows under it, is no running header
            # (_repeats_header_row); a header of cells alone (公报 | 2021年第12期 | 第3页) is
            if len(page[i].strip()) <= _MAX_FURNITURE_LEN and not DATE_LINE.match(page[i].strip())
            and not (page[i].count("\t") >= 2 and i + 1 < len(page) and "\t" in page[i + 1])
        }:
            counts[key] = counts.get(key, 0) + 1
    return frozenset(key for key, n in counts.items() if n >= 2 and 2 * n > len(pages))


def _is_furniture(line: str, repeated: frozenset[str]) -> bool:
    return bool(_PAGE_NUMBER.fullmatch(line.strip())) or _furniture_key(line) in repeated


def _furniture_bounds(page: list[str], repeated: frozenset[str]) -> tuple[int, int]:
    """Where a page's text starts and ends once page numbers and repeated lines are dropped from its first
    and last few lines."""
    start, end = 0, len(page)
    while start < min(end, _EDGE_LINES) and _is_furniture(page[start], repeated):
        start += 1
    while end > max(start, len(page) - _EDGE_LINES) and _is_furniture(page[end - 1], repeated):
        end -= 1
    return start, end


def _width(line: str) -> int:
    """Display width: CJK characters take two columns, so mixed lines compare fairly."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _column_width(lines: list[str]) -> float:
    """The width of a full line of the text column (90th percentile), 0 when too few lines to tell."""
    if len(lines) < 3:
        return 0.0
    widths = sorted(_width(line.strip()) for line in lines)
    return float(widths[int(0.9 * (len(widths) - 1))])


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _continues(prev: str, line: str, column: float) -> bool:
    """Whether ``line`` continues the paragraph that the layout wrapped after ``prev``."""
    if "\t" in prev or "\t" in line:  # a table row (its cells set apart by tabs, from a text layer or a scan)
        return False
    if _ends_sentence(prev) or _HEADING.match(line.strip()) or _TITLE_END.search(simplify(prev.strip())):
        return False
    if line[:2] in ("  ", "\u3000\u3000") or line.startswith("\u3000"):  # indented: a new paragraph
        return False
    # A wrapped line fills the column; a short one is a title, a heading or a list item.
    return not column or _width(prev.strip()) >= _SHORT_LINE * column


def _rejoin(lines: list[str]) -> list[str]:
    column = _column_width(lines)
    out: list[str] = []
    prev = ""
    for line in lines:
        text = line.strip(" \u3000") if "\t" in line.strip() else line.strip()  # a row's empty end cells stay
        if out and _continues(prev, line, column):
            # Chinese wraps between characters; only Latin words were split at a space. A figure of
            # full-width digits wraps anywhere (投资１ / ２５６亿元): OCR reads them as ASCII, still one figure.
            glue = " " if out[-1][-1].isascii() and text[0].isascii() else ""
            if glue and spaced_figure_at(out[-1] + glue + text, len(out[-1])):
                glue = ""
            out[-1] += glue + text
        else:
            out.append(text)
        prev = line
    return out
