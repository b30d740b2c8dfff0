"""Read one source file (plain text, PDF, HTML or DOCX) into a :class:`SourceText`.

This module and ``indexer.pdf`` (PDF pages, OCR of scanned ones) are the only ones that know about file
formats. Everything they cannot read becomes an :class:`~indexer.errors.UnreadableSource` with a short
reason the user can act on; no library exception escapes. pypdf and python-docx are imported inside the
functions that need them, so importing this module stays cheap.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import io
import re
import stat
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from os import PathLike
from pathlib import Path

from .errors import UnreadableSource
from .pdf import _clean_pdf_pages, pdf_text  # noqa: F401  (_clean_pdf_pages: tests)

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
MAX_SOURCE_BYTES = 512 * 1024 * 1024  # a plan file past this is refused before it is read
# Zip-based formats (DOCX): refuse before parsing when the parts would unpack past these.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a part that unpacks to over 200× its packed size (and over 1 MB) is a zip bomb
# A plan is Chinese prose: at least this share of its visible characters are CJK ideographs.
MIN_CJK_SHARE = 0.15
MIN_CJK_CHARS = 2
_TEXT_SUFFIXES = frozenset({".txt", ".md"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})


@dataclass(frozen=True, slots=True)
class SourceText:
    """The text of one source file, with where it came from and how it was read."""

    path: str
    name: str  # file name, no directory
    sha256: str  # hex digest of the file's bytes (not of the text)
    text: str  # decoded text, newlines normalized to "\n"
    kind: str  # 'text' | 'pdf' | 'html' | 'docx'
    encoding: str  # the encoding detected for text and HTML; the kind for PDF and DOCX
    ocr_pages: int = 0  # pages of a PDF read from their image (a scanned document): OCR text may have errors


def load_source(path: str | PathLike[str]) -> SourceText:
    """Read ``path`` and return its text.

    Raises :class:`UnreadableSource` for a missing, empty, binary, undecodable, encrypted, scanned or
    corrupt file, and for a suffix not in :data:`SUPPORTED_SUFFIXES`.
    """
    p = Path(path)
    where = str(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        found = f"file type {suffix}" if suffix else "file without a suffix"
        raise UnreadableSource(where, f"unsupported {found} (supported: {', '.join(SUPPORTED_SUFFIXES)})")
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise UnreadableSource(where, "is a directory, not a file")
            raise UnreadableSource(where, "not a regular file (a pipe, socket or device)")
        if info.st_size > MAX_SOURCE_BYTES:
            raise UnreadableSource(where, f"file too large ({info.st_size // 1024 // 1024} MB; at most {MAX_SOURCE_BYTES // 1024 // 1024} MB)")
        data = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableSource(where, "no such file") from None
    except IsADirectoryError:
        raise UnreadableSource(where, "is a directory, not a file") from None
    except OSError as err:
        raise UnreadableSource(where, f"cannot read file ({err.strerror or err})") from None
    if not data.strip():
        raise UnreadableSource(where, "empty file")

    ocr_pages = 0
    if suffix in _TEXT_SUFFIXES:
        kind = "text"
        text, encoding = _decode(where, data)
    elif suffix in _HTML_SUFFIXES:
        kind = "html"
        raw, encoding = _decode(where, data, declared=_declared_charset(data))
        text = _html_text(where, raw)
    elif suffix == ".pdf":
        kind = encoding = "pdf"
        try:
            text, ocr_pages = pdf_text(where, data)
        except UnreadableSource as err:
            err.sha256 = hashlib.sha256(data).hexdigest()  # these bytes, whatever the file holds by now
            raise
    else:
        kind = encoding = "docx"
        text = _docx_text(where, data)

    text = _normalize_newlines(text)
    if not text.strip():
        raise UnreadableSource(where, "empty file" if kind == "text" else f"no text found in the {kind} file")
    _require_chinese(where, text)
    return SourceText(
        path=where,
        name=p.name,
        sha256=hashlib.sha256(data).hexdigest(),
        text=text,
        kind=kind,
        encoding=encoding,
        ocr_pages=ocr_pages,
    )


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cjk_share(text: str) -> tuple[float, int]:
    """(share of CJK ideographs among the visible characters, their number)."""
    visible = cjk = 0
    for ch in text:
        if ch.isspace():
            continue
        visible += 1
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff":
            cjk += 1
    return (cjk / visible if visible else 0.0), cjk


def _require_chinese(where: str, text: str) -> None:
    """Refuse text that is not Chinese prose (a program or data file renamed .txt, an English file)."""
    share, count = cjk_share(text)
    if count < MIN_CJK_CHARS or share < MIN_CJK_SHARE:
        raise UnreadableSource(
            where, f"not Chinese plan text ({share:.0%} Chinese characters, {count} in all); is it the right file?"
        )


# --- encodings -------------------------------------------------------------------------------------

# The most frequent characters of Chinese prose (and of plans in particular), simplified and traditional.
# Decoding Big5 bytes as GB18030 (or the reverse) strictly often *succeeds*, but yields private-use and
# rare characters instead of these, so their share tells the right decoding apart even on a few lines.
_FREQUENT = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
    "又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
    "位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强"
    "放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交"
    "受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八"
    "离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布"
    "复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精"
    "值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照"
    "参红细引听该铁价严龙飞推创障营综培域项健监督核"
    "這爲為個國時來們於對會發動過說產種後學經進電裏裡現實兩體機當點從業應開還義間樣與關線內數麼質氣變條"
    "沒結問無軍並題黨員總設長頭資邊級圖統較將組見計別論運農幾區強決幹戰則據處隊給門規熱領東導壓爭濟階術"
    "極聯認權證採轉單風帶場車務萬達積議聲報鬥類離華確張馬節話況溫傳許羣廣記觀織裝衆眾書復複兒須際驗連斷"
    "難礦備辦習響約勞團歷構稱準號維劃選標寫親養層卻專狀廠識適屬圓調滿縣參紅細聽該鐵價嚴龍飛創營綜項監"
)
_CJK_PUNCT = frozenset("，。、；：？！“”‘’（）《》〈〉【】「」『』—…·　％")


def _plausibility(text: str) -> float:
    """Score how much ``text`` looks like real Chinese: frequent characters up, odd characters down."""
    score = 0
    counted = 0
    for ch in text:
        if ch < "\x80":
            if ch < " " and ch not in "\t\n\r\f":
                score -= 4
                counted += 1
            continue
        counted += 1
        if ch in _FREQUENT or ch in _CJK_PUNCT:
            score += 2
        elif "\u4e00" <= ch <= "\u9fff":
            score += _level_one(ch)  # common in GB2312 or Big5 (1), or a rarer ideograph (0)
        elif unicodedata.category(ch) in ("Co", "Cn", "Cc", "Cs"):
            score -= 4  # private use (Big5 read as GB18030 lands there), unassigned, control
        else:
            score -= 1  # symbols, bopomofo, rare extension blocks: GB read as Big5 lands there
    return score / counted if counted else 0.0


@functools.cache
def _level_one(ch: str) -> int:
    """1 for an ideograph of GB2312 level 1 or Big5 level 1 (the everyday sets), else 0."""
    for encoding, low, high in (("gb2312", b"\xb0\xa1", b"\xd7\xf9"), ("big5", b"\xa4\x40", b"\xc6\x7e")):
        try:
            if low <= ch.encode(encoding) <= high:
                return 1
        except UnicodeEncodeError:
            pass
    return 0


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def decode_text(where: str, data: bytes) -> str:
    """Text of a small text file the operator writes (catalog.csv, a .meta.json sidecar) as any editor
    saves it: UTF-8 with or without BOM, UTF-16, GB18030 (Excel's "CSV" on Chinese Windows) or Big5.
    Raises UnreadableSource when it is none of them."""
    return _decode(where, data)[0]


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode(where: str, data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text or HTML file; return ``(text, encoding)``.

    A BOM wins, then strict UTF-8, then a declared charset (HTML ``<meta charset>``) if the bytes
    decode with it, then GB18030 or Big5, whichever reads as more plausible Chinese.
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is None:
                raise UnreadableSource(where, f"cannot decode as {label} despite its byte order mark")
            return text, encoding
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise UnreadableSource(where, "binary file, not a text plan")
        return text, "utf-16"
    # Chinese text that decodes as UTF-8 is UTF-8: GBK bytes almost never form valid three-byte
    # sequences, while UTF-8 bytes often decode as GB18030 garbage. So UTF-8 wins even over a page's
    # declared charset, which is often a stale template's.
    text = _strict(data, "utf-8")
    if text is not None and (text.isascii() or max(text) >= "\u0800"):
        return text, "utf-8"
    if declared and declared != "utf-8":
        declared_text = _strict(data, declared)
        if declared_text is not None:
            return declared_text, declared
    # Valid UTF-8 with only two-byte sequences (Latin, Greek, Cyrillic …) may also be a few GBK
    # characters ('知识' in GBK happens to be valid UTF-8). Keep UTF-8 unless GB18030 reads as clear Chinese.
    utf8_text = text
    decoded: dict[str, str] = {}
    # cp950 is Big5 plus the vendor extensions Windows files often carry; only tried when Big5 fails.
    for encoding in ("gb18030", "big5", "cp950"):
        if encoding == "cp950" and "big5" in decoded:
            continue
        text = _strict(data, encoding)
        if text is not None:
            decoded[encoding] = text
    if utf8_text is not None:
        gb_text = decoded.get("gb18030")
        if gb_text is None or _plausibility(gb_text) < 1.5:
            return utf8_text, "utf-8"
    if not decoded:
        raise UnreadableSource(where, "cannot decode as UTF-8, GB18030 or Big5")
    # max() keeps the first of equal scores, so ties go to GB18030: the corpus is mainland plans.
    best = max(decoded, key=lambda encoding: _plausibility(decoded[encoding]))
    return decoded[best], best


def _utf16_without_bom(data: bytes) -> str | None:
    """Text saved as UTF-16 with no byte order mark (some Windows tools): the byte order whose strict
    decoding reads as plausible Chinese, or None (then it is binary)."""
    if len(data) % 2:
        return None
    best = None
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _strict(data, encoding)
        if text is not None and "\x00" not in text and _plausibility(text[:20000]) >= 1.0:
            best = text if best is None or _plausibility(text[:20000]) > _plausibility(best[:20000]) else best
    return best


_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
# GB2312 and GBK pages routinely contain characters of the larger sets; decode with the superset.
_CHARSET_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "big5": "cp950"}


def _declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` near its start, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return _CHARSET_SUPERSET.get(name, name)


# --- HTML ------------------------------------------------------------------------------------------

_HTML_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
_HTML_BLOCK = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6"
    " header hr li main nav ol p pre section table tbody thead tfoot tr ul".split()
)


class _HtmlText(HTMLParser):
    """Collects the visible text of a page: block elements become line breaks, cells become tabs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive already unescaped
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._skip = 0  # pages that never close <head> still show their body
        elif tag in _HTML_SKIP:
            self._skip += 1
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")
            if tag == "pre":
                self._pre += 1
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HTML_BLOCK:
            self.parts.append("\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        # Outside <pre>, HTML collapses source line breaks and runs of spaces to one space.
        self.parts.append(data if self._pre else re.sub(r"[ \t\r\n\f]+", " ", data))


def _html_text(where: str, markup: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception as err:  # html.parser is lenient, but a library error must not escape
        raise UnreadableSource(where, "unreadable HTML") from err
    lines = (line.strip() for line in "".join(parser.parts).replace("\r\n", "\n").split("\n"))
    # &nbsp; is layout, not content; a plain space keeps the text searchable as typed.
    return "\n".join(line.replace("\xa0", " ") for line in lines if line)


# --- DOCX ------------------------------------------------------------------------------------------

def _docx_text(where: str, data: bytes) -> str:
    """Paragraphs one per line and table rows as tab-separated lines, in document order; a text box's
    paragraphs after the paragraph it is anchored in, and a note after what refers to it (``word``)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: an old binary .doc renamed to .docx
        raise UnreadableSource(where, "old Word .doc format, not .docx; save it as .docx first")
    _check_zip(where, data)
    try:
        import docx
        from docx.oxml import parse_xml

        from .word import Notes

        lines: list[str] = []
        document = docx.Document(io.BytesIO(data))
        _docx_blocks(document.iter_inner_content(), _WordNumbering(document), Notes(document, parse_xml), lines)
    except Exception as err:  # python-docx raises zip, XML and key errors alike for a broken file
        raise UnreadableSource(where, "corrupt or unreadable DOCX") from err
    return "\n".join(lines)


def _docx_blocks(blocks, numbers: _WordNumbering, notes, lines: list[str]) -> None:
    """Append the lines of paragraphs and tables (python-docx blocks) to ``lines``: each paragraph, the notes
    it refers to, then the text boxes anchored in it (a 专栏 set in a box reads as the plan prints it: its
    caption, then its lines, at the place the box stands), each box's paragraphs read as the body's are."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from .word import box_content, text_boxes

    for block in blocks:
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
            lines.extend(notes.lines(block._element))
            continue
        lines.append(numbers.label(block) + block.text)
        lines.extend(notes.lines(block._element))
        for box in text_boxes(block._element):
            inner = [Table(e, block) if e.tag.endswith("}tbl") else Paragraph(e, block) for e in box_content(box)]
            _docx_blocks(inner, numbers, notes, lines)


class _WordNumbering:
    """Word's automatic numbering: a heading whose 一、 or （一） or 1. Word draws from its numbering
    definitions (numbering.xml) has no number in its text, so the plan's outline would be lost. Each
    numbered paragraph gets the label Word shows (its level's text, 第%1章 or %1、 or （%1）, with the
    level counters in the level's format: decimal, 一二三, full-width); bullets get none."""

    _FORMATS = {
        "decimal": str, "decimalZero": lambda n: f"{n:02d}", "decimalFullWidth": lambda n: str(n).translate(_FULL_WIDTH),
        "decimalEnclosedCircle": lambda n: chr(ord("①") + n - 1) if 1 <= n <= 20 else str(n),
        "decimalEnclosedCircleChinese": lambda n: chr(ord("①") + n - 1) if 1 <= n <= 20 else str(n),
    }
    _CHINESE = ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
                "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand")

    def __init__(self, document):
        from docx.oxml.ns import qn

        self._qn = qn
        self._levels: dict[str, dict[int, tuple[int, str, str, str]]] = {}  # numId -> ilvl -> (start, fmt, text, suffix)
        # Word counts per list definition (abstractNum): two numIds of one definition number on, unless one
        # restarts (a startOverride)
        self._counter_of: dict[str, str] = {}
        self._counters: dict[str, dict[int, int]] = {}
        try:
            self._read(document.part.numbering_part.element)
        except Exception:  # no numbering part, or one Word would repair: the paragraphs without labels
            self._levels.clear()

    def _read(self, root) -> None:
        qn = self._qn
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        # A list style (Word's 「定义新的列表样式」): the definition a list uses only names the style
        # (numStyleLink) and the levels stand in the definition that defines it (styleLink)
        styled = {self._val(a, "w:styleLink"): key for key, a in abstract.items() if self._val(a, "w:styleLink")}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            key = ref.get(qn("w:val")) if ref is not None else None
            linked = self._val(abstract[key], "w:numStyleLink") if key in abstract else None
            if linked in styled and not abstract[key].findall(qn("w:lvl")):
                key = styled[linked]  # numbered on with every list of the style, as Word does
            definition = abstract.get(key)
            if definition is None:
                continue
            levels = {int(lvl.get(qn("w:ilvl"), "0")): self._level(lvl) for lvl in definition.findall(qn("w:lvl"))}
            restarts = False
            for override in num.findall(qn("w:lvlOverride")):
                ilvl, start = int(override.get(qn("w:ilvl"), "0")), self._val(override, "w:startOverride")
                replaced = override.find(qn("w:lvl"))  # a whole level redefined for this list
                if replaced is not None:
                    levels[ilvl] = self._level(replaced)
                    restarts = True
                if start and ilvl in levels:
                    levels[ilvl] = (int(start), *levels[ilvl][1:])
                    restarts = True
            num_id = num.get(qn("w:numId"))
            self._levels[num_id] = levels
            self._counter_of[num_id] = f"n{num_id}" if restarts else f"a{key}"

    def _level(self, lvl) -> tuple[int, str, str, str]:
        return (int(self._val(lvl, "w:start") or 1), self._val(lvl, "w:numFmt") or "decimal",
                self._val(lvl, "w:lvlText") or "", self._val(lvl, "w:suff") or "tab")

    def _val(self, element, tag: str) -> str | None:
        child = element.find(self._qn(tag))
        return child.get(self._qn("w:val")) if child is not None else None

    def _num_pr(self, paragraph):
        """(numId, ilvl) of a paragraph: its own, else its style's (Heading 1 numbered by its style)."""
        p_pr = paragraph._p.pPr
        num_pr = p_pr.numPr if p_pr is not None else None
        style = paragraph.style
        while num_pr is None and style is not None:
            s_pr = style.element.pPr
            num_pr = s_pr.numPr if s_pr is not None else None
            style = style.base_style
        if num_pr is None or num_pr.numId is None:
            return None
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return str(num_pr.numId.val), int(ilvl)

    def label(self, paragraph) -> str:
        if not self._levels or not paragraph.text.strip():
            return ""
        try:
            found = self._num_pr(paragraph)
        except (AttributeError, KeyError, ValueError):
            return ""
        levels = self._levels.get(found[0]) if found else None
        if not levels or found[1] not in levels:
            return ""
        num_id, ilvl = found
        counters = self._counters.setdefault(self._counter_of.get(num_id, num_id), {})
        start, fmt, text, suffix = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # a new 一、 starts its （一） again
        if fmt not in self._FORMATS and fmt not in self._CHINESE or not text:
            return ""  # a bullet, none, or a format a plan's grammar has no use for (upperRoman, lowerLetter)

        def shown(match) -> str:
            level = int(match.group(1)) - 1
            lvl_start, lvl_fmt = levels.get(level, (1, "decimal", "", ""))[:2]
            n = counters.get(level, lvl_start)
            if lvl_fmt in self._CHINESE:
                from .numbering import int_to_cn

                return int_to_cn(n)
            return self._FORMATS.get(lvl_fmt, str)(n)

        label = re.sub(r"%(\d)", shown, text)
        # Word sets a tab or a space after the number; a tab would read as a table cell
        return label + (" " if suffix != "nothing" and not label.endswith(("、", ".", "．", "）", ")")) else "")


_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _check_zip(where: str, data: bytes) -> None:
    """Refuse a zip whose parts unpack past MAX_UNZIPPED_BYTES or past MAX_ZIP_RATIO, before any parser
    inflates them. Sizes are counted while unpacking, since a zip's declared sizes can lie."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise UnreadableSource(where, "corrupt or unreadable DOCX") from err
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNZIPPED_BYTES:
        raise UnreadableSource(where, f"refused: unpacks to {declared // 1024 // 1024} MB (a zip bomb?)")
    total = 0
    try:
        for member in members:
            size = 0
            with archive.open(member) as part:
                while block := part.read(1 << 20):
                    size += len(block)
                    total += len(block)
                    ratio = size / max(member.compress_size, 1)
                    if total > MAX_UNZIPPED_BYTES or (size > (1 << 20) and ratio > MAX_ZIP_RATIO):
                        raise UnreadableSource(where, "refused: a part unpacks to far more than its packed size (a zip bomb?)")
    except UnreadableSource:
        raise
    except Exception as err:  # bad CRC, unsupported compression, truncated data
        raise UnreadableSource(where, "corrupt or unreadable DOCX") from err


def _table_lines(table) -> list[str]:
    rows = []
    raw: dict[int, str] = {}  # each cell's paragraphs, a line each
    grid = [[(c._tc, " ".join(raw.setdefault(id(c._tc), c.text).split("\n")).strip()) for c in row.cells]
            for row in table.rows]
    header = _two_row_header(grid)
    if header:
        rows.append("\t".join(header))
        grid = grid[2:]
    one_column = all(len({id(tc) for tc, _ in row}) == 1 for row in grid)  # a box set in a one-cell table
    for row in grid:
        cells, seen = [], set()
        for tc, text in row:
            if id(tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(tc))
            cells.append((tc, text))
        if one_column:  # its paragraphs are lines (not a row merged across a wider table: a note row)
            rows += [line.strip() for line in raw[id(cells[0][0])].split("\n") if line.strip()]
        else:
            rows.append("\t".join(text for _, text in cells))
    return rows


def _two_row_header(grid) -> list[str]:
    """A header of two rows, a cell of the first spanning columns the second names (目标值 over 2023年 and
    2025年), as one row of column names: 目标值（2023年）, 目标值（2025年）, the other cells as they are. [] when
    the table's first row merges no columns over a second row that splits them."""
    if len(grid) < 2 or len(grid[0]) != len(grid[1]):
        return []
    top, below = grid[0], grid[1]
    spans = [j for j in range(1, len(top)) if top[j][0] is top[j - 1][0]]
    if not spans or any(below[j][1] == below[j - 1][1] for j in spans):
        return []
    # outside the spanning cells the second row repeats the first (cells merged down both rows); a first
    # row merged across the whole table is its title (表1 …主要指标), not a header
    outside = [j for j in range(len(top)) if j not in spans and j + 1 not in spans]
    if not outside or any(top[j][1] != below[j][1] for j in outside):
        return []
    return [t if t == b else f"{t}（{b}）" for (_, t), (_, b) in zip(top, below, strict=True)]
