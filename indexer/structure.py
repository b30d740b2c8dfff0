"""Clean text → body span, heading tree and clause segments.

How a heading is recognised: a number of one of the schemes in ``numbering`` at the start of a line, or
in the middle of a line right after a sentence end (several clauses on one line, a heading glued to
the end of a paragraph). A number only counts as a heading when it continues the sequence it belongs
to: the next sibling in its scheme, 1 for a first child, or the next number of that scheme anywhere in
the document (Shanxi numbers （一）…（二十四） straight through its chapters). Mid-line numbers must be
exactly the next expected one, and must be followed by a title, so 3.4倍 or a stray （2） in prose is
never a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import furniture
from .bodies import LABELS, ORGAN_ENDINGS
from .division import _header
from .doctypes import names_a_type
from .glossary import Glossary, find_glossaries
from .numbering import (
    CAPTION,
    DOTTED,
    NOTE_MARK,
    SCHEME_RANK,
    Number,
    bare_number,
    canonical,
    is_annex,
    label_separator,
    match_number,
)
from .regions import region_at_start
from .tables import _cells, _columns

_SENTENCE_END_BEFORE = re.compile(r"[。；;!！?？）)]\s*")
# (an article after a gap in the numbers) the text before it ends a sentence; its words do not go on from
# the number as a reference's do (第六十五条的规定, 第三十条、第三十一条, 第二十条至第二十五条)
_ENDS = frozenset("。；;!！?？：:”」）)")
_GOES_ON = re.compile(r"[的之、，,和与或及至规所中]")


def _before(text: str, pos: int) -> str:
    """The last character before ``pos`` that is not a space or a line break ('' at the start)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\n\u3000":
        i -= 1
    return text[i] if i >= 0 else ""
_FIRST_CHILD = re.compile(r"(?<=[\u4e00-\u9fff])(?=[（(][一1][）)]|1[.．、](?!\d))")
_NOTICE_TITLE = re.compile(r"(关于|關于|關於)?印发.*(通知|通告)$|通知$")
_DATE_LINE = furniture.DATE_LINE
_SKIP_AFTER_TITLE = re.compile(r"^[(（]此件公开发布[)）]$|^[(（]此件公開發布[)）]$|^发布日期|^發布日期")
_TAIL_LINE = re.compile(
    r"^(抄送|主送|抄報|抄报|相关解读|相關解讀|附件|附：|扫一扫|打印本页|关闭窗口|责任编辑|責任編輯)|印发\s*$|印發\s*$"
)
# An issuing body alone on a line (a signature), optionally followed by its date. Joint issuers are
# separated by a space (中共中央 国务院).
_NAME = r"[^\s，。；：、,;:！？（）()]"
SIGNATURE = re.compile(
    rf"^(?P<issuer>{_NAME}{{0,40}}(?:人民政府|人民政府办公室|人民政府办公厅|委员会|办公室|办公厅|局|厅|国务院|中共中央|政府|党委|部|委"
    r"|领导小组|小组|指挥部)"
    rf"(?:\s+{_NAME}{{0,40}}(?:国务院|中共中央|人民政府|政府|委员会|办公厅|办公室|局|厅|部|委))*)"
    r"\s*(?P<date>\d{4}年\d{1,2}月\d{1,2}日)?\s*$"
)


@dataclass(frozen=True, slots=True)
class HeadingMark:
    """A heading found in the text, before clauses are cut."""

    start: int  # offset of the number
    title_end: int  # offset just past the title (the heading's own text)
    scheme: str
    value: int
    title: str
    level: int  # depth, 1 = top
    numbers: tuple[tuple[str, int], ...]  # (scheme, value) root first, ending with this heading
    labels: tuple[str, ...]  # canonical labels root first, ending with this heading

    @property
    def label(self) -> str:
        return self.labels[-1]


@dataclass(frozen=True, slots=True)
class Structure:
    body_span: tuple[int, int]
    title_line: tuple[int, int] | None  # span of the document's title line, if found
    headings: tuple[HeadingMark, ...]
    # 名词解释 lists: out of the body's numbering; inside the body span when an annex follows them
    glossaries: tuple[Glossary, ...] = ()
    # captioned tables and boxes that follow an enumeration and belong to the section above it
    blocks: tuple[SectionBlock, ...] = ()
    # spans inside the body that are no clause's: the notice's closing lines before an annex
    gaps: tuple[tuple[int, int], ...] = ()

    @property
    def metadata_end(self) -> int:
        """Where the text metadata reads after the body begins (its signature and date): before an annex."""
        return self.gaps[0][0] if self.gaps else self.body_span[1]


@dataclass(frozen=True, slots=True)
class SectionBlock:
    """Text after the last item of an enumeration that is the enumerating section's, not the last item's
    (``after``): a captioned table or box (表2 …主要指标表, 专栏2 …; ``caption`` set), or the paragraphs after
    a list of one-paragraph items (a regulation's 第二款 after its （一）…（四）; ``caption`` empty)."""

    caption: str
    start: int
    end: int
    parent: HeadingMark
    after: HeadingMark


# Numbering schemes of enumerated items (1. 1、 （1） ①), below the titled sections 一、 and （一）.
_ITEM_RANK = SCHEME_RANK["n."]
_LINE = re.compile(r"^[^\S\n]*(\S[^\n]*)", re.MULTILINE)
_BOX = re.compile(r"专栏\s*\d")
_SENTENCE_MARK = re.compile(r"[。；;！？]")
_ATTACHMENTS = re.compile(r"^[^\S\n]*附\s*件\s*[：:]", re.MULTILINE)
MAX_LIST_ITEM = 150  # characters of an enumerated item that is a single sentence
_ITEM_ENDS = ("。", "；", ";", "！", "？")


def find_blocks(text: str, marks: tuple[HeadingMark, ...], body_end: int, cuts: list[int]) -> tuple[SectionBlock, ...]:
    """Captioned blocks that end an enumeration: the caption's line follows the list's last item (its second
    or later), and the next heading is shallower than the item or there is none. The block runs from the
    caption to the next heading (or a glossary, or the body's end). Also a box that ends a titled section
    with no sub-sections (``_own_box``)."""
    out = []
    for i, mark in enumerate(marks):
        nxt = marks[i + 1] if i + 1 < len(marks) else None
        if SCHEME_RANK[mark.scheme] < _ITEM_RANK or mark.scheme in DOTTED:
            if box := _own_box(text, mark, nxt, body_end, cuts):
                out.append(box)
            continue
        if mark.level < 2 or mark.value < 2:
            continue  # (3.2 指标体系 is a titled section, not a list's item: its table is its own)
        if nxt is not None and nxt.level >= mark.level:
            continue
        parent = next((m for m in reversed(marks[:i]) if m.level == mark.level - 1), None)
        end = min([c for c in cuts if mark.title_end < c] + [nxt.start if nxt else body_end])
        if parent is None:
            continue
        for line in _LINE.finditer(text, mark.title_end, end):
            if CAPTION.match(line.group(1)) and not text[: line.start(1)].rstrip().endswith(("：", ":")):
                stop = end
                while stop > line.start(1) and text[stop - 1].isspace():
                    stop -= 1
                out.append(SectionBlock(" ".join(line.group(1).split()), line.start(1), stop, parent, mark))
                break
    captioned = {b.after.start for b in out}
    out += [b for b in _trailing_paragraphs(text, marks, body_end, cuts) if b.after.start not in captioned]
    return tuple(sorted(out, key=lambda b: b.start))


def _own_box(text: str, mark: HeadingMark, nxt: HeadingMark | None, body_end: int, cuts: list[int]) -> SectionBlock | None:
    """A box (专栏1 …重点工程) after a titled section's own text, the section having no sub-sections: a
    clause of its own under the section, cited by its caption, not the rest of the section's text. (A box
    right under the heading is what the section holds, and a table keeps its section's: its indicators
    are read with it.)"""
    if nxt is not None and nxt.level > mark.level:
        return None
    end = min([c for c in cuts if mark.title_end < c] + [nxt.start if nxt else body_end])
    for line in _LINE.finditer(text, mark.title_end, end):
        caption = line.group(1)
        if _BOX.match(caption) and _SENTENCE_MARK.search(text, mark.title_end, line.start(1)):
            # a caption, not a sentence that names a box (专栏1所列工程由各区负责实施。), after text that does
            # not announce it (…如下：), over a box of numbered items or table rows only: prose after them
            # would be the section's again, and where the box ends is not written
            if len(caption) > 40 or _SENTENCE_MARK.search(caption) or text[: line.start(1)].rstrip().endswith(("：", ":")):
                return None
            rest = [ln.group(1).rstrip() for ln in _LINE.finditer(text, line.end(), end)]
            # each line an item, a table row, or the body of an item whose own line is only its name
            # (1.关键核心技术攻关工程 / 实施一批重大项目。)
            if not rest or not all(match_number(ln) or "\t" in ln or (k > 0 and match_number(rest[k - 1])
                                   and not rest[k - 1].endswith(_ITEM_ENDS)) for k, ln in enumerate(rest)):
                return None
            stop = end
            while stop > line.start(1) and text[stop - 1].isspace():
                stop -= 1
            return SectionBlock(" ".join(caption.split()), line.start(1), stop, mark, mark)
    return None


def _trailing_paragraphs(text: str, marks: tuple[HeadingMark, ...], body_end: int, cuts: list[int]) -> list[SectionBlock]:
    """Paragraphs after the last item of an enumeration of at least three items (two, when the paragraph
    names 前款 or 本条) whose other items are each one sentence (第七条…（一）…；（二）…；（三）…；（四）…。 then 项目负责人同一年度…): the section's next
    paragraph (a regulation's 第二款), not more of the last item."""
    out = []

    def end_of(k: int) -> int:
        stop = marks[k + 1].start if k + 1 < len(marks) else body_end
        return min([c for c in cuts if marks[k].title_end < c < stop] + [stop])

    for i, mark in enumerate(marks):
        nxt = marks[i + 1] if i + 1 < len(marks) else None
        if mark.value < 2 or mark.level < 2 or (nxt is not None and nxt.level >= mark.level):
            continue
        if SCHEME_RANK[mark.scheme] < SCHEME_RANK["（cn）"]:
            continue  # an article (第三条) or a part is no list item: a paragraph after it is its own 第二款
        siblings = [k for k in range(i) if marks[k].labels[:-1] == mark.labels[:-1] and marks[k].level == mark.level]
        parent = next((m for m in reversed(marks[:i]) if m.level == mark.level - 1), None)
        if parent is None or not siblings or any(
            (k + 1 < len(marks) and marks[k + 1].level > mark.level) or not _one_sentence_item(text, marks[k].start, end_of(k))
            for k in siblings
        ):
            continue
        end = end_of(i)
        newline = text.find("\n", mark.start, end)
        first_line = text[mark.start : newline if newline != -1 else end].rstrip()
        if _paragraphs(text, mark.start, end) < 2 or not first_line.endswith(_ITEM_ENDS):
            continue  # the item's own line is not a whole sentence (严重违\n法行为。 broken by a line end)
        second = text.index("\n", mark.start, end)
        while text[second].isspace():
            second += 1
        if len(siblings) < 2 and not _REFERS_BACK.match(text, second):
            continue  # after two items only a paragraph that names the article's words is the article's
        stop = end
        while stop > second and text[stop - 1].isspace():
            stop -= 1
        out.append(SectionBlock("", second, stop, parent, mark))
    return out


# A paragraph that speaks of the article it ends (依照前款规定…, 有前款所列情形之一的…, 本条所称…): the
# article's next 款, never more of its last item.
_REFERS_BACK = re.compile(r"(?:依照|按照|依据|根据|违反|有)?(?:前款|前两款|本条)")


def _one_sentence_item(text: str, start: int, end: int) -> bool:
    """An enumerated item that is one sentence of one paragraph (（一）在本市注册登记，具有独立法人资格；), as a
    regulation's items and a list of conditions are; not a plan's item with a body of its own."""
    item = text[start:end].strip()
    return _paragraphs(text, start, end) == 1 and len(item) <= MAX_LIST_ITEM and item.count("。") <= 1


def _paragraphs(text: str, start: int, end: int) -> int:
    return sum(1 for line in text[start:end].split("\n") if line.strip())


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _inside_tables(lines: list[tuple[int, str]]) -> set[int]:
    """The lines without cells between two rows of one table (as many cells each, three or more): a
    group row whose merged or empty cells the reader dropped. An annex's heading is never one, nor a line
    before a header row (序号 …, 指标 …: a second table of the same width starts there)."""
    filled = [(pos, line) for pos, line in lines if line.strip()]
    out = set()
    first_row = ""  # the first row of the table the line above belongs to (its header)
    for k, ((_, above), (pos, line), (_, below)) in enumerate(zip(filled, filled[1:], filled[2:], strict=False)):
        if "\t" in above and (k == 0 or "\t" not in filled[k - 1][1]):
            first_row = above
        cells = above.count("\t")
        if "\t" not in line and cells >= 2 and below.count("\t") == cells and not line.lstrip().startswith("附件"):
            if not _a_header(below) and below.strip() != first_row.strip():
                out.add(pos)
    return out


def _a_header(line: str) -> bool:
    """Whether a row names columns, as the table readers recognise a header (指标 / 2025年 …, 重点任务 / 牵头单位 …)."""
    cells = _cells(line)
    return _columns(cells) is not None or _header(cells) is not None


def make_label(scheme: str, value: int, title: str) -> str:
    num = canonical(scheme, value)
    return f"{num}{label_separator(scheme)}{title}" if title else num


# Articles and paragraphs of a law carry no title: their text is the clause.
_UNTITLED = frozenset({"第条", "第款"})


def _title_after(text: str, start: int, line_end: int, scheme: str) -> tuple[str, int]:
    """The heading's title: the rest of the line, or up to the first 。 for an inline heading."""
    rest = text[start:line_end]
    stripped = rest.lstrip(" ：:") if label_separator(scheme) else rest.lstrip()
    offset = start + (len(rest) - len(stripped))
    if scheme in _UNTITLED:
        return "", offset
    if is_annex(scheme) and not stripped.strip():
        return _annex_title(text, line_end)
    stop = stripped.find("。")
    child = _FIRST_CHILD.search(stripped)
    if child and (stop < 0 or child.start() < stop):
        stop = child.start()  # "三、组织保障（一）加强组织领导。": the title ends where its first child starts
    if stop >= 0:
        title = stripped[:stop]
    else:
        title = stripped.rstrip()
        if len(title) > 60:  # a long line with no full stop: keep its first phrase as the title
            m = re.search(r"[，；：,;:]", title)
            title = title[: m.start()] if m and m.start() <= 60 else title[:60]
    title = title.rstrip(" ：:；;，,")
    end = offset + len(title)
    if text.startswith("。", end):  # "（二）基本原则。": the full stop belongs to the heading
        end += 1
    # 1.扩大公办学前教育资源（责任单位：市教育局、…）: the note names who does it, it is not the title's
    # (the clause keeps it, and its departments are read from it)
    return _WHO_NOTE.sub("", title) or title, end


_WHO_NOTE = re.compile(
    rf"\s*[（(](?:(?:{LABELS})\s*[：:](?:[^（）()]|[（(][^（）()]*[）)])*"
    rf"|[^（）()]{{0,60}}?(?:{'|'.join((*ORGAN_ENDINGS, '办'))})等?(?:牵头|负责))[）)]$"
)  # (a note names a body: 谁主管谁负责 and 首问负责 are principles, and stay)


def _annex_title(text: str, line_end: int) -> tuple[str, int]:
    """附件1 alone on its line: its title is the next line when that line is short and not a sentence."""
    nxt = re.match(r"\n+([^\n]*)", text[line_end:])
    if nxt:
        line = nxt.group(1).strip()
        if line and len(line) <= 40 and not re.search(r"[。；;]", line) and not match_number(line):
            end = line_end + nxt.start(1) + len(nxt.group(1).rstrip())
            return line, end
    return "", line_end


def _is_heading_line(line: str) -> bool:
    num = line_number(line)  # a contents list of 一　总体要求 lines too
    return bool(num) and _has_title(line[num.end :]) and len(line) <= 60 and "。" not in line


def _skip_contents(lines: list[tuple[int, str]], first: int) -> int:
    """A table of contents written as bare headings (a run of heading lines with no text between them,
    repeated in the body): the body starts at the repetition of its first line, not at the list."""
    head = lines[first][1].strip()
    i = first + 1
    while i < len(lines) and (not lines[i][1].strip() or _is_heading_line(lines[i][1].strip())):
        if lines[i][1].strip() == head:
            return i
        i += 1
    return first


def find_body(text: str) -> tuple[int, tuple[int, int] | None]:
    """Where the body starts (after the notice, table of contents and title line) and the title line."""
    lines = _lines(text)
    # Repository front matter is never the body: YAML at the start, comments, disclaimers, release lines.
    front = furniture.front_matter_end([line for _, line in lines])
    first = None
    for i, (_pos, line) in enumerate(lines):
        if i < front:
            continue
        num = line_number(line)
        if num and num.value == 1 and 0 <= SCHEME_RANK[num.scheme] <= SCHEME_RANK["cn、"] and _has_title(line[num.end :]):
            first = i
            break
    if first is None:
        for i, (_pos, line) in enumerate(lines):
            if i < front:
                continue
            num = line_number(line)
            # An annex is never where the body starts: a notice lists its annexes before the plan.
            if num and num.value == 1 and not is_annex(num.scheme) and _has_title(line[num.end :]):
                first = i
                break
    if first is None:
        first = len(lines)
    contents_end = _skip_contents(lines, first) if first < len(lines) else first
    title_idx = None
    for i in range(first - 1, front - 1, -1):
        line = lines[i][1].strip()
        if _is_title_line(line):
            title_idx = i
            break
    if title_idx is None:
        start_idx = front if first == len(lines) else first
        # With no title line, the notice (if any) still ends at its date; the body follows it.
        for i in range(start_idx - 1, front - 1, -1):
            if _DATE_LINE.match(lines[i][1].strip()):
                start_idx = i + 1
                break
        title_span = None
    else:
        pos, line = lines[title_idx]
        title_end = pos + len(line.rstrip())
        start_idx = title_idx + 1
        top = _title_top(lines, title_idx, front)
        if top < title_idx:  # a title set on two lines: 某市知识产权保护和运用 / “十四五”规划
            title_idx, (pos, line) = top, lines[top]
        # （2021－2035年） on the next line completes the title.
        nxt = next((j for j in range(start_idx, len(lines)) if lines[j][1].strip()), None)
        if nxt is not None and furniture.YEAR_RANGE.match(lines[nxt][1].strip()):
            title_end = lines[nxt][0] + len(lines[nxt][1].rstrip())
            start_idx = nxt + 1
        title_span = (pos + len(line) - len(line.lstrip()), title_end)
    if contents_end > first:
        start_idx = contents_end
    while start_idx < len(lines):
        line = lines[start_idx][1].strip()
        if line and not _before_body(line):
            break
        start_idx += 1
    start = lines[start_idx][0] if start_idx < len(lines) else len(text)
    return start, title_span


_TITLE_PART = re.compile(r"[，。；：:、,;（）()]")
WRAPPED_TITLE_LINE = 15  # characters: a title's first line broken by the page's width, not by its sense


def _title_top(lines: list[tuple[int, str]], title_idx: int, front: int) -> int:
    """The first line of a title whose last line (the one naming the type) is ``title_idx``: the line
    just above joins it when the type line is short and that line is a bare phrase, not a signature,
    date, notice, heading or release line (a title wraps only when it is long)."""
    line = lines[title_idx][1].strip()
    if title_idx - 1 < front:
        return title_idx
    above = lines[title_idx - 1][1].strip()
    if line.startswith(("关于", "關於", "關于")) and furniture.ISSUER_LINE.match(above):
        return title_idx - 1  # 洛阳市人民政府 / 关于加快推进…的实施意见: the issuer begins the title
    # a long type line stands alone, unless the line above is itself a wrapped title's first line: an
    # issuer's 关于 opening it, or a bare phrase filling most of a line that opens with a region while the type
    # line does not (成都市武侯区…高质量发展三 / 年行动计划（2026—2028年）; not a slogan or a site's banner)
    wrapped = len(above) >= WRAPPED_TITLE_LINE and region_at_start(above) and not region_at_start(line)
    if len(line) > 12 and not furniture.HEADLINE_START.match(above) and not wrapped:
        return title_idx
    if (
        not 4 <= len(above) <= 40 or _TITLE_PART.search(above) or names_a_type(above) or match_number(above)
        or SIGNATURE.match(above) or _DATE_LINE.match(above) or furniture.is_furniture(above) or re.search(r"\d", above)
    ):
        return title_idx
    return title_idx - 1


def _before_body(line: str) -> bool:
    """Lines between a title and its body that belong to neither: dates, 此件公开发布, a regulation's
    history, repository and news-release furniture."""
    return bool(
        _DATE_LINE.match(line) or _SKIP_AFTER_TITLE.match(line) or furniture.HISTORY.match(line)
        or furniture.is_furniture(line) or furniture.DOC_NUMBER.fullmatch(line)
    )


# The rest of a line whose number stands alone before a space (一　总体要求): a short run of words with no
# space, sentence mark or figure first — a title, not prose or a table row.
_BARE_TITLE = re.compile(r"[^\s\d。；;，,：:！？!?][^\s。；;，,：:！？!?]{1,29}\s*")


def _continues_parents(num: Number, stack: list[HeadingMark]) -> bool:
    """Whether a dotted number (4.1.2) continues the numbers of the headings it would sit under: a top-level
    heading numbered as its first number (4, 第四章 or 四、), then the dotted ones (4.1), with nothing else
    between (1.1 万个 under a list's item 1. is a decimal, not a heading)."""
    parts = [int(p) for p in num.raw.split(".")]
    if not stack or stack[0].level != 1 or stack[0].value != parts[0]:
        return False
    below = [h for h in stack[1:] if SCHEME_RANK[h.scheme] < SCHEME_RANK[num.scheme]]  # those it stays under
    return [h.scheme for h in below] == list(DOTTED[: len(parts) - 2]) and [h.value for h in below] == parts[1:-1]


def line_number(text: str, pos: int = 0, end: int | None = None) -> Number | None:
    """The heading number at ``pos`` of a line that ends at ``end`` (default: the text's end): any scheme's,
    or one set off by a space alone when the rest of the line is a short title (一　总体要求)."""
    num = match_number(text, pos)
    if num is None and (bare := bare_number(text, pos)):
        end = len(text) if end is None else end
        if _BARE_TITLE.fullmatch(text[bare.end : end]):
            num = bare
    return num


# A title may open with digits when they name a year (一、2025年工作目标, 1.2025年底前完成…) or a thing
# (一、5G网络建设), or when the line is a short title (（三）12345热线服务): not a figure run on from a
# broken line (1.5倍 is never read as 1. here; 一、2 个 …，… is a sentence).
_TITLE_DIGITS = re.compile(r"(?:19|20)\d{2}\s*年(?![\d\s]*[年月日])|\d+[A-Za-z]|\d+[\u4e00-\u9fff][^\s，,。；;：:]{0,28}$")


# A count and its measure word opening a title's words (80周岁…, 3年内…), not a figure (3.5%, 2,000)
_COUNTED = re.compile(r"[^\S\n]*\d{1,4}(?!年\s*\d)[\u4e00-\u9fff]")  # (not a date: 2025年1月1日起施行)


def _has_title(rest: str) -> bool:
    """A heading number must be followed by words, not by a figure or a table cell."""
    rest = rest.strip()
    return bool(rest) and "\t" not in rest and (not rest[0].isdigit() or bool(_TITLE_DIGITS.match(rest)))


def _is_title_line(line: str) -> bool:
    if not (4 <= len(line) <= 80) or line.endswith(("。", "；", "：", ":")):
        return False
    if not names_a_type(line) or _NOTICE_TITLE.search(line) or line_number(line):
        return False
    if furniture.is_furniture(line) or re.match(r"\d{4}\s*年", line):  # 发布时间…, 2012年3月31日 …批准的《…决定》
        return False
    if "，" in line or "。" in line[:-1]:
        return False
    return True


def parse_structure(text: str) -> Structure:
    """Find the body, its headings and where the body ends (before 抄送, 印发, a signature …)."""
    body_start, title_span = find_body(text)
    marks: list[HeadingMark] = []
    stack: list[HeadingMark] = []
    last_value: dict[str, int] = {}

    def expected(scheme: str) -> set[int]:
        for h in reversed(stack):
            if h.scheme == scheme:
                return {h.value + 1}
        return {1, last_value.get(scheme, 0) + 1}

    def accept(num: Number, start: int, line_end: int, strict: bool) -> bool:
        values = expected(num.scheme)
        sibling = next((h for h in reversed(stack) if h.scheme == num.scheme), None)
        ok = num.value in values
        if not ok and not strict and sibling is not None:
            ok = sibling.value < num.value <= sibling.value + 3  # a gap in the source's numbering
        if not ok and not strict and num.scheme == "第条" and 0 < last_value.get("第条", 0) < num.value:
            # an excerpted regulation (节选: 第二条, then 第二十一条): articles are numbered through the whole
            # law, so a later article is the next one here when it starts its own line after a sentence's end,
            # set off by a space, and its words do not go on from the number (第六十五条 的规定: a reference
            # a PDF broke onto a line of its own)
            ok = (text[num.end : num.end + 1] in (" ", "\u3000") and not _GOES_ON.match(text[num.end :].lstrip(" \u3000"))
                  and (_before(text, start) in _ENDS or (bool(marks) and not text[marks[-1].title_end : start].strip())))
        if not ok:
            return False
        title, title_end = _title_after(text, num.end, line_end, num.scheme)
        if strict and not title:
            return False
        if num.scheme in DOTTED and (not _continues_parents(num, stack) or not _BARE_TITLE.fullmatch(text[num.end : line_end].strip())):
            return False  # 1.1 under 4, 4.1.2 with no 4.1 above it, or a sentence (1.1 万个，…): not a heading
        # Place it: a sibling of the same scheme, or a child after popping more junior schemes.
        if is_annex(num.scheme):
            stack.clear()  # an annex is a top-level section of its own
        elif sibling is not None:
            while stack and stack[-1] is not sibling:
                stack.pop()
            stack.pop()
        else:
            rank = SCHEME_RANK[num.scheme]
            while stack and SCHEME_RANK[stack[-1].scheme] >= rank:
                stack.pop()
        parent = stack[-1] if stack else None
        # a dotted number is written whole in its label: 4.1.2 城市内涝智能预警
        label = f"{num.raw} {title}".strip() if num.scheme in DOTTED else make_label(num.scheme, num.value, title)
        mark = HeadingMark(
            start=start,
            title_end=title_end,
            scheme=num.scheme,
            value=num.value,
            title=title,
            level=(parent.level + 1) if parent else 1,
            numbers=(parent.numbers if parent else ()) + ((num.scheme, num.value),),
            labels=(parent.labels if parent else ()) + (label,),
        )
        stack.append(mark)
        marks.append(mark)
        last_value[num.scheme] = num.value
        return True

    glossaries = find_glossaries(text, body_start, _ends_glossary)
    noted = body_start  # where the text a circled note line can refer to starts: after the last such line
    notes = False  # whether the line above is a note (注：…, or a note opening with its mark)
    box: list | None = None  # while a box's lines are read: [its list's scheme ('' before the first), value]
    inside = _inside_tables(_lines(text))
    for pos, line in _lines(text):
        if pos + len(line) <= body_start or not line.strip():
            continue
        if pos in inside:
            continue  # a group's title across a table (一、实施产业链提升行动 between its rows), not the plan's
        if any(g.span[0] <= pos < g.span[1] for g in glossaries):
            continue  # a glossary's numbered entries are not the body's headings
        line_end = pos + len(line)
        lead = len(line) - len(line.lstrip())
        if _is_note(text, pos + lead, line_end, noted, notes):
            noted, notes = line_end, True
            continue  # the text above's note, read with it: no heading of the plan
        notes = bool(_NOTE_LINE.fullmatch(line))
        # A box (专栏2 重大科技创新工程) numbers its own lines (1.关键核心技术攻关工程…): when it follows a
        # section's text (not a bare heading: 二、保障措施 / 专栏1 …示意图 / （一）… are the section's) and the
        # line right after its caption starts a list at 1, that list is the box's (numbered on, with lines
        # without a number between its items), not headings of the plan.
        if _BOX.match(line, lead):
            said = bool(stack) and bool(_SENTENCE_MARK.search(text, stack[-1].start, pos))
            box = ["", 0] if said else None  # [the box list's scheme, its last value]
            continue
        if box is not None:
            own = match_number(text, pos + lead)
            if own is None and box[0]:
                continue  # a line of the box's current item
            if own is not None and (own.scheme, own.value) in ((box[0] or own.scheme, box[1] + 1),):
                box[:] = [own.scheme, own.value]
                continue
            box = None
        # Further headings on the same line start after a sentence end, or right after a heading's title.
        starts = {m.end() for m in _SENTENCE_END_BEFORE.finditer(text, pos + lead + 1, line_end)}
        if "\t" not in line:  # table rows are never headings
            num = line_number(text, pos + lead, line_end)
            titled = _has_title(text[num.end : line_end]) if num else False
            if num and not titled and _COUNTED.match(text, num.end, line_end):
                # （2）80周岁及以上…，每餐补贴5元 / （二）3年内完成…。: words that open with a count are the
                # title when the number is the very next of a sibling above (a broken line seldom is)
                sibling = next((h for h in reversed(stack) if h.scheme == num.scheme), None)
                titled = sibling is not None and num.value == sibling.value + 1
            if num and (titled or is_annex(num.scheme)) and accept(num, pos + lead, line_end, strict=False):
                starts.add(marks[-1].title_end)
        at = pos + lead + 1
        while True:
            at = min((s for s in starts if s >= at), default=None)
            if at is None or at >= line_end:
                break
            num = match_number(text, at)
            if num and accept(num, at, line_end, strict=True):
                starts.add(marks[-1].title_end)
            at += 1

    body_end = _find_body_end(text, marks[-1].title_end if marks else body_start)
    # A glossary after the body's last heading ends the body; one before an annex stays a part of it.
    for g in glossaries:
        if g.span[0] < body_end and not any(m.start > g.span[0] for m in marks):
            body_end = len(text[: g.span[0]].rstrip())
    marks = tuple(sorted((m for m in marks if m.start < body_end), key=lambda m: m.start))
    # The notice's closing lines between the body and its annex (附件：…表, the signature, the date) are
    # neither's: a gap, cut from the body's last clause.
    gaps: tuple[tuple[int, int], ...] = ()
    annex = next((m for m in marks if is_annex(m.scheme)), None)
    if annex is not None:
        before = [m for m in marks if m.start < annex.start]
        closing = _find_body_end(text, before[-1].title_end if before else body_start)
        # the notice's list of its attachments (附件：\n1.重点任务分工表\n2.资金表) starts the gap: its
        # numbered lines are no headings of the body
        listing = _ATTACHMENTS.search(text, before[0].start if before else body_start, annex.start)
        if listing is not None:
            closing = min(closing, listing.start())
        if closing < annex.start:
            gaps = ((closing, annex.start),)
            marks = tuple(m for m in marks if not closing <= m.start < annex.start)
    cuts = [g.span[0] for g in glossaries] + [g[0] for g in gaps]
    blocks = find_blocks(text, marks, body_end, cuts)
    return Structure((body_start, body_end), title_span, marks, tuple(glossaries), blocks, gaps)


# The line over a table's or a paragraph's numbered notes: 注： alone (注：[ ]内为… is a note of its own; a
# ① line after it is read by its mark)
_NOTE_LINE = re.compile(r"[^\S\n]*(?:注|备注|說明|说明)\s*[：:][^\S\n]*$")
# How far above its note a mark may stand: a note prints at the foot of its mark's page (about two pages of
# text), so a mark in an earlier chapter does not make a later ① list notes
_NOTE_REACH = 2000


def _is_note(text: str, start: int, line_end: int, since: int, after_note: bool) -> bool:
    """Whether a line opening with a circled number (①绿色出行比例，指…) is a note to the text above, not an
    item of a ① list: its mark stands glued to a word in the text since ``since`` and within _NOTE_REACH
    (城市绿色出行比例①达到75%, where a superscript prints), or it follows a note (注： alone, or another such
    line), or it is a ① that no ②
    follows before the next more senior heading (a list has two items; a scan loses the superscript mark).
    (Word's notes come through ``indexer.word``, without marks, as 注：… lines after what refers to them.)"""
    num = match_number(text, start)
    if num is None or num.scheme != "①":
        return False
    if after_note or any(m.group() == num.raw for m in NOTE_MARK.finditer(text, max(since, start - _NOTE_REACH), start)):
        return True
    if num.value != 1:
        return False
    stop = len(text)
    for line in _LINE.finditer(text, line_end):
        other = line_number(text, line.start(1), line.end())
        if other is not None and SCHEME_RANK[other.scheme] < SCHEME_RANK["①"]:
            stop = line.start(1)
            break
    return "②" not in text[num.end : stop]  # (①坚持创新驱动。②坚持系统观念。: a list on one line)


def _ends_glossary(line: str) -> bool:
    """A line that ends a glossary: an annex, the document's tail (抄送, 印发 …), a signature or a date."""
    num = match_number(line)
    return bool(
        (num and is_annex(num.scheme)) or _TAIL_LINE.search(line) or furniture.CREDIT.match(line)
        or SIGNATURE.match(line) or _DATE_LINE.match(line)
    )


def _find_body_end(text: str, after: int) -> int:
    lines = _lines(text)
    end = len(text)
    for i, (pos, line) in enumerate(lines):
        if pos + len(line) <= after:
            continue
        s = line.strip()
        if not s:
            continue
        nxt = next((ln.strip() for _, ln in lines[i + 1 :] if ln.strip()), "")
        if _TAIL_LINE.search(s) or furniture.CREDIT.match(s) or (SIGNATURE.match(s) and (not nxt or _DATE_LINE.match(nxt) or "印发" in nxt)):
            end = pos
            break
    return len(text[:end].rstrip())
