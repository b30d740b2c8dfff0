"""Raw source text → clean text, line by line.

The source file itself is never changed (its sha256 identifies it); every offset elsewhere points into
the text this module returns. Each step fixes one quirk seen in real plans and says why.
"""

from __future__ import annotations

import re
import unicodedata

from .numbering import HEADING_START
from .tables import rejoin_flattened_tables

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "\u0101\u00e1\u01ce\u00e0\u0113\u00e9\u011b\u00e8\u012b\u00ed\u01d0\u00ec\u014d\u00f3\u01d2\u00f2\u016b\u00fa\u01d4\u00f9\u01d6\u01d8\u01da\u01dc"
_PINYIN = "a-zü" + _TONED

# 產(chǎn) → 產: web converters left the pinyin of rare characters behind them.
_PINYIN_AFTER_HANZI = re.compile(rf"(?<=[{CJK}])\(([{_PINYIN}]{{1,6}})\)")
# 青,F(xiàn)代化: a GBK character whose first byte lost its high bit, then its pinyin. Restore the bit.
_GARBLED_WITH_PINYIN = re.compile(rf"([\x21-\x7e])([\x40-\x7e])\(([{_PINYIN}]{{1,6}})\)")
# What neither rule can restore: a character lost to "?" (向?qū)I(yè)化: 專 became "?" and left "qū)" behind,
# 業 lost its first byte and kept "I(yè)"). Each lost character becomes □, the printer's mark for an
# illegible character, so it is visibly marked and never read as a question mark ending a sentence.
_LOST = "\u25a1"
_SYLLABLE = rf"[{_PINYIN}]{{0,5}}[{_TONED}][{_PINYIN}]{{0,5}}"  # pinyin debris carries a tone mark: yè, qū
_LOST_WITH_PINYIN = re.compile(rf"(?<=[{CJK}{_LOST}])(?:\?{_SYLLABLE}\)|[\x21-\x7e]\({_SYLLABLE}\))")
_LOST_CHARACTER = re.compile(rf"(?<=[{CJK}{_LOST}])\?(?=[{CJK}{_LOST}，。、；：])")
# A saved web page's <title> leaks into the text as `Title" > Title" />`.
_HTML_ATTR_DEBRIS = re.compile(r'^(?P<title>[^"<>]+?)"\s*>.*"\s*/>\s*$')
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->")
# Dot-leader tables of contents: "四、重点任务…………(12)".
_LEADER = re.compile(r"(?:…{2,}|\.{4,}|·{4,}|．{4,}|-{6,})\s*[(（]?\d*[)）]?")
_PAGE_FURNITURE = re.compile(
    r"^\s*(?:\[image:[^\]]*\]|!\[[^\]]*\]\([^)]*\)|[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?)\s*$"
)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
# A Markdown pipe table: | 指标 | 2025年 | … | rows become tab-separated rows, as every other table's are;
# the | --- | :---: | line under the header is layout.
_PIPE_ROW = re.compile(r"^\|(?:[^|\n]*\|){2,}$")
_PIPE_RULE = re.compile(r"^\|?(?:\s*:?-{3,}:?\s*\|)+\s*(?::?-{3,}:?\s*)?$")
# A figure's caption without its figure (图1 普陀区绿道布局现状图, 图 2-1 …, …空间结构示意图): the image is
# not in the text, and its caption would end the clause before it. Table captions (表1 …) stay: they
# name the rows under them.
_FIGURE_CAPTION = re.compile(
    rf"^(?:附?图|圖)\s*\d{{1,2}}(?:\s*[-－—–.．]\s*\d{{1,2}})?(?:\s*[：:]\s*|\s+|(?=[{CJK}]))[^。；;，,！？]{{1,40}}$"
    rf"|^[^。；;，,！？\s]{{2,30}}(?:示意图|分布图|规划图|布局图|结构图|现状图)$"
)

# Word's PDF export and many PDF fonts write 一, 自, 长 … as the look-alike radicals (⼀ U+2F00, ⾃, ⻓): the
# font's glyph for the character is the radical's, and its text layer names the radical. Such a text shows
# right, but its headings (⼀、总体要求) and words match nothing. No plan means a radical as a radical:
# - a Kangxi radical becomes the ideograph Unicode says it is (its NFKC form), in its simplified form
#   where that is a traditional one (⼾ is 戶 by NFKC, and plans write 户: _KANGXI_SIMPLIFIED);
# - the radicals supplement's forms have no NFKC mapping: those drawn as a whole character become that
#   character in its simplified form (_SUPPLEMENT_CHARACTERS; components such as ⺡ 氵 or ⻌ 辶, which
#   no font draws for a character of running text, are left as they are).
# The two- and three-em dashes (⸺ ⸻) are how some fonts' text layers write the —— that opens a lead.
_KANGXI_SIMPLIFIED = dict(zip("戶見貝車長門韋頁風飛馬鬥魚鳥鹵麥黃黽齊齒龍龜", "户见贝车长门韦页风飞马斗鱼鸟卤麦黄黾齐齿龙龟", strict=True))
_SUPPLEMENT_CHARACTERS = dict(
    zip(
        "⺁⺊⺎⺒⺓⺜⺝⺟⺠⺩⺬⺼⻄⻅⻆⻉⻋⻑⻓⻔⻘⻙⻚⻛⻜⻝⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳",
        "厂卜兀巳幺日月母民王示月西见角贝车长长门青韦页风飞食马骨鬼鱼鸟卤麦黄黾齐齐齿齿龙龙龟龟龟",
        strict=True,
    )
)
RADICALS = {
    cp: _KANGXI_SIMPLIFIED.get(nfkc, nfkc)
    for cp in range(0x2F00, 0x2FE0)
    if len(nfkc := unicodedata.normalize("NFKC", chr(cp))) == 1 and nfkc != chr(cp)
} | {ord(radical): character for radical, character in _SUPPLEMENT_CHARACTERS.items()} | {
    0x2E3A: "——",
    0x2E3B: "——",
}

_TERMINAL = "。！？!?；;：:”’」』）)】》"
_CONTINUES = "，,、（(“‘《「『—-"
# Line starts that open a new paragraph: numbered headings (the grammar of ``numbering``), bullets,
# table rows.
_PROSE_MARK = re.compile(r"[。，；、,;！？]")
_NEW_BLOCK = re.compile(rf"^(?:{HEADING_START.pattern}|——|—|[-*•·●■◆]\s|\d+\t)")


def clean_text(raw: str) -> str:
    """Return the cleaned text of a plan. Pure and deterministic; keeps line structure where it means
    something (headings, table rows) and joins lines a page or a web editor broke mid-sentence."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = text.translate(RADICALS)
    text, garbled = _GARBLED_WITH_PINYIN.subn(_restore_garbled, text)
    text, debris = _PINYIN_AFTER_HANZI.subn("", text)
    if garbled or debris:  # only a text that shows converter damage has characters lost to "?"
        text = _mark_lost_characters(text)
    lines = [_clean_line(piece) for line in text.split("\n") for piece in split_run_on(line)]
    lines = _drop_table_of_contents(lines)
    lines = rejoin_flattened_tables(lines)  # a table saved one cell per line: back into rows
    lines = _join_broken_lines(lines)
    # Collapse runs of blank lines: broken paragraphs left them behind.
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


# A line this long is no paragraph (the longest of the sample plans and corpus-more is under 900 characters):
# a plan whose line breaks were lost (pasted from a web page, a converter's one-line output).
RUN_ON = 3000
_LAYOUT_SPACE = re.compile(rf"(?<=[{CJK}。，、；：！？”’」）)])[ \t\u3000\u00a0]+(?=[{CJK}“‘「（(\d])")
_AFTER_SENTENCE = re.compile(rf"(?<=[。！？；;：:”」])\s*(?={HEADING_START.pattern})")


def split_run_on(line: str) -> list[str]:
    """A run-on line (``RUN_ON`` characters and more) back into lines: where its breaks became spaces
    (Chinese prose has none: 「…规划 为加快…」), at each space between Chinese characters; where they were
    dropped, before each heading number that follows a sentence's end (「…制定本规划。一、总体要求」).
    Any other line is returned as it is."""
    if len(line) < RUN_ON:
        return [line]
    pieces = [p for p in _LAYOUT_SPACE.split(line) if p]
    return [q for p in pieces for q in (_split_at(_AFTER_SENTENCE, p) if len(p) >= RUN_ON // 10 else [p]) if q]


def _split_at(pattern: re.Pattern, text: str) -> list[str]:
    """``text`` cut at each match of ``pattern`` (the match starts the next piece; not re.split, which
    would insert what the pattern's groups capture)."""
    cuts = [m.start() for m in pattern.finditer(text) if m.start() > 0]
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _restore_garbled(m: re.Match) -> str:
    first, second = m.group(1), m.group(2)
    try:
        char = bytes([ord(first) | 0x80, ord(second)]).decode("gbk")
    except UnicodeDecodeError:
        return m.group(0)
    return char if re.fullmatch(f"[{CJK}]", char) else m.group(0)


def _mark_lost_characters(text: str) -> str:
    """Lost characters as □ (one per character), after the repairs above had their chance."""
    previous = None
    while previous != text:  # 向?qū)I(yè): each replacement makes the next one's left neighbour a □
        previous = text
        text = _LOST_WITH_PINYIN.sub(_LOST, text)
        text = _LOST_CHARACTER.sub(_LOST, text)
    return text


def _clean_line(line: str) -> str:
    m = _HTML_ATTR_DEBRIS.match(line)
    if m:
        # Keep the page title, less the site name a web page appends (" 青海新聞網", " - 某某网").
        line = re.sub(r"(\s+[-_|｜]\s*.*|\s+\S{2,10}[网網])\s*$", "", m.group("title"))
    line = _HTML_TAG.sub("", line)
    line = line.replace("**", "").replace("__", "")
    # Ideographic and no-break spaces are layout, not content.
    line = line.replace("\u00a0", " ").replace("\u3000", " ").replace("\u200b", "").replace("\ufeff", "")
    line = line.strip(" ")
    if "\t" not in line.lstrip("\t"):  # tabs that only indent a line (\t一、总体要求) are layout, not cells
        line = line.lstrip("\t").strip(" ")
    line = _MARKDOWN_HEADING.sub("", line)
    if _PIPE_RULE.match(line):
        return ""
    if _PIPE_ROW.match(line):  # its empty cells kept, the last ones too: | 一、… | | | is a table's group row
        return "\t".join(cell.strip() for cell in line[1:-1].split("|")).rstrip(" ")
    if _PAGE_FURNITURE.match(line) or (_FIGURE_CAPTION.match(line) and not HEADING_START.match(line)):
        return ""
    return line.rstrip()


def _drop_table_of_contents(lines: list[str]) -> list[str]:
    """Drop a table of contents: lines that carry dot leaders with page numbers, and runs of heading
    lines that end in a page number (一、发展基础	1), with a bare 目录 line before them."""
    out = []
    skip = _page_referenced_lines(lines)
    for i, line in enumerate(lines):
        if i in skip or (_LEADER.search(line) and re.search(r"[…．.·]{2,}\s*[(（]?\d+[)）]?\s*$|…{6,}", line)):
            while out and not out[-1].strip():
                out.pop()
            if out and re.sub(r"\s+", "", out[-1]) == "目录":
                out.pop()
            continue
        out.append(line)
    return out


# 一、发展基础	1 / 第二章 主要任务 12 / 附：名词解释 35: an entry of a contents list, its page number last.
_PAGE_REFERENCE = re.compile(rf"^(?P<entry>[^\t]*[{CJK}][^\t。；;，,]*?)(?:\t+|\s+)(?P<page>\d{{1,3}})$")
MIN_CONTENTS_LINES = 3


def _page_referenced_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines of every contents list written with page numbers and no dot leaders: at
    least three such lines in a row (blank lines between allowed), the pages never going down, most of
    them opening with a heading number."""
    out: set[int] = set()
    run: list[tuple[int, int, bool]] = []  # (line index, page, opens with a heading number)

    def close() -> None:
        if len(run) >= MIN_CONTENTS_LINES and 2 * sum(numbered for _, _, numbered in run) >= len(run):
            out.update(i for i, _, _ in run)
        run.clear()

    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        m = _PAGE_REFERENCE.match(s) if len(s) <= 60 else None
        page = int(m.group("page")) if m else -1
        if m and (not run or page >= run[-1][1]):
            run.append((i, page, bool(HEADING_START.match(s) or s.startswith("附"))))
            continue
        close()
        if m:
            run.append((i, page, bool(HEADING_START.match(s) or s.startswith("附"))))
    close()
    return out


def _join_broken_lines(lines: list[str]) -> list[str]:
    """Join a line to the next non-blank one when the sentence plainly goes on.

    A line continues when it does not end a sentence and either already holds a full stop (so it is
    prose, not a short title) or ends on a comma-like mark; and the next line does not open a new block.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while line and _continues(line):
            j = i + 1
            while j < len(lines) and not lines[j]:
                j += 1
            nxt = lines[j] if j < len(lines) else ""
            # A next line with no punctuation at all is a title, a signature or a date, not prose.
            if not nxt or _NEW_BLOCK.match(nxt) or "\t" in nxt or "\t" in line or not _PROSE_MARK.search(nxt):
                break
            line = line + lines[j]
            i = j
        out.append(line)
        i += 1
    return out


def _continues(line: str) -> bool:
    last = line[-1]
    if last in _TERMINAL:
        return False
    if last in _CONTINUES or "。" in line or "；" in line:
        return True
    # A comma makes it prose, unless it is a heading ("三、全面强化…保护，营造…环境").
    return "，" in line and len(line) >= 20 and not _NEW_BLOCK.match(line)
