"""What a Word .docx holds outside the paragraphs and tables of its body: text boxes and notes.

python-docx reads the body's paragraphs and tables, but a paragraph's text leaves out the text boxes
anchored in it (a 专栏 is often set in one) and the notes its marks point to (footnotes and endnotes, a
term's definition: 绿色出行比例，指…). ``indexer.load`` asks this module for both and writes them where a
reader meets them. python-docx is only imported by the caller, so importing this module stays cheap.
"""

from __future__ import annotations

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_TEXT_BOX = f"{{{_W}}}txbxContent"
_FALLBACK = f"{{{_MC}}}Fallback"
_CHOICE = f"{{{_MC}}}Choice"
_REFERENCES = {f"{{{_W}}}footnoteReference": "footnote", f"{{{_W}}}endnoteReference": "endnote"}
_NOTE_LEAD = "注："  # how a note's first line starts where its text is written: a plan's own 注：…


def _owned(element, found) -> bool:
    """Whether ``found`` belongs to ``element`` itself: not to a text box anchored in it (the box's own
    paragraphs are read in their turn), nor to the Fallback copy of an mc:AlternateContent whose Choice
    already carries a box (Word 2010+ writes each box twice: a DrawingML shape, then the same box in VML)."""
    node = found.getparent()
    while node is not None and node is not element:
        if node.tag == _TEXT_BOX:
            return False
        if node.tag == _FALLBACK and any(next(c.iter(_TEXT_BOX), None) is not None for c in node.getparent() if c.tag == _CHOICE):
            return False
        node = node.getparent()
    return node is element


def text_boxes(element) -> list:
    """The text boxes (w:txbxContent) anchored in a paragraph, in order, each once: a box nested in another
    is its outer box's, and a box written twice (mc:Choice and mc:Fallback) is read from its Choice."""
    return [box for box in element.iter(_TEXT_BOX) if _owned(element, box)]


def box_content(box) -> list:
    """A text box's paragraphs and tables (w:p, w:tbl), in order."""
    return [child for child in box if child.tag in (f"{{{_W}}}p", f"{{{_W}}}tbl")]


class Notes:
    """A document's footnotes and endnotes, each written once where the text first refers to it.

    A note's mark (a superscript 1, or ①) stays out of the text: glued to a word it would end up in that
    word (an indicator's name 城市绿色出行比例①, a search term). The note follows the paragraph or table
    that refers to it, on lines of its own starting 注：, so a question about the term finds the
    definition in the same clause as the sentence that uses it, under the same heading, and a table's
    rows stay together (the note comes after the table)."""

    def __init__(self, document, parse_xml) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        self._text: dict[tuple[str, str], list[str]] = {}
        self._written: set[tuple[str, str]] = set()
        for kind, relation in (("footnote", RT.FOOTNOTES), ("endnote", RT.ENDNOTES)):
            try:
                root = parse_xml(document.part.part_related_by(relation).blob)
            except Exception:  # no such notes (KeyError), or a notes part Word would repair: the body is read
                continue
            for note in root.iter(f"{{{_W}}}{kind}"):
                if note.get(f"{{{_W}}}type") not in (None, "normal"):
                    continue  # the separator lines Word draws above the notes
                paragraphs = ["".join(t.text or "" for t in p.iter(f"{{{_W}}}t")).strip() for p in note.iter(f"{{{_W}}}p")]
                lines = [line for line in paragraphs if line]
                if lines:
                    self._text[(kind, note.get(f"{{{_W}}}id", ""))] = lines

    def lines(self, element) -> list[str]:
        """The lines of the notes ``element`` (a paragraph or a table) refers to itself and that are not
        written yet, in the order of their marks."""
        out = []
        for found in element.iter(*_REFERENCES):
            key = (_REFERENCES[found.tag], found.get(f"{{{_W}}}id", ""))
            if key in self._written or key not in self._text or not _owned(element, found):
                continue
            self._written.add(key)
            first, *rest = self._text[key]
            out += [first if first.startswith(("注", "备注")) else _NOTE_LEAD + first, *rest]
        return out
