"""Enumerations in a plan's text: the sentence that opens a list (…应当遵守下列规定：) and its numbered items.
An item shown alone (（二）以专利权质押的；) reads as a rule of its own; a sentence that opens a list says
nothing until its items are read. Both look at the document's cleaned text around a clause's span."""

from __future__ import annotations

from indexer.numbering import match_number
from indexer.records import Clause

# How far back the sentence that opens a list is looked for, in lines (the list's earlier items), and how
# long it may be shown.
LEAD_LINES = 40
LEAD_CHARS = 160
# How much of a list an answer quotes after the sentence that opens it (申报材料包括：).
LIST_ITEMS = 6
LIST_CHARS = 240


def _text(index, clause: Clause) -> str:
    entry = index.document(clause.doc_id)
    return getattr(entry, "text", "") or ""


def list_lead(index, clause: Clause) -> str:
    """The sentence that opens the list an enumerated item belongs to, when the text before the list ends
    with ：(第十六条 有下列情形之一的，…应当提供专利权评价报告： for （二）以专利权质押的；), else ''."""
    own = match_number(clause.number) if clause.kind == "clause" and clause.part == 1 else None
    if own is None or len(clause.section_path) < 2:
        return ""
    text = _text(index, clause)
    pos = clause.span[0]
    for _ in range(LEAD_LINES):
        line_end = text.rfind("\n", 0, pos)
        if line_end < 0:
            return ""
        line_start = text.rfind("\n", 0, line_end) + 1
        line, pos = text[line_start:line_end].strip(), line_start
        if not line:
            continue
        if line.endswith(("：", ":")):
            lead = line[max(line.rfind("。"), line.rfind("；")) + 1 :].strip()
            return lead if len(lead) <= LEAD_CHARS else "…" + lead[-LEAD_CHARS:]
        number = match_number(line)
        if number is None or number.scheme != own.scheme:  # not an earlier item of the same list
            return ""
    return ""


def list_items(index, clause: Clause, sentence: str) -> str:
    """The items after a clause that ends by opening a list (申报材料包括：), as the plan writes them ('' when
    the sentence does not end with a colon or no numbered items follow)."""
    if not sentence.rstrip().endswith(("：", ":")):
        return ""
    items: list[str] = []
    scheme = None
    lines = [line.strip() for line in _text(index, clause)[clause.span[1] :].split("\n") if line.strip()]
    for i, line in enumerate(lines):
        number = match_number(line)
        if number is None or scheme not in (None, number.scheme) or len(items) == LIST_ITEMS:
            # items with bodies of their own (（一）加强保护 / 健全保护体系。…): not a list to quote
            following = match_number(lines[i + 1]) if number is None and i + 1 < len(lines) else None
            if following is not None and following.scheme == scheme:
                return ""
            break
        scheme = number.scheme
        items.append(line)
    joined = "".join(items)
    return joined if len(joined) <= LIST_CHARS else joined[:LIST_CHARS] + "…"
