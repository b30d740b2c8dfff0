"""Citations: one canonical form, exact to the character, and a short form for tables and chips.

    《青海省“十四五”知识产权保护和运用规划》 四、重点任务 （一）强化知识产权全链条保护 1.完善知识产权保护体系建设
    青海省 · 四（一）1

Section labels are the canonical ones the parser wrote (full-width brackets, ASCII dot), so a citation
reads the same whatever the source typed; the titles are the document's own characters.
"""

from __future__ import annotations

from indexer.numbering import match_number, short
from indexer.records import Clause, Document

from .records import Citation


def cite(clause: Clause, document: Document) -> Citation:
    """The citation of a clause (a part of a long clause cites the clause itself)."""
    path = clause.section_path
    if clause.kind == "preamble" or not path:
        where = "前言"
    else:
        where = " ".join(path)
    if clause.kind == "indicator":
        where = f"{where} 指标：{clause.label}".strip()
    canonical = f"《{document.title}》 {where}"
    numbers = "".join(_short_number(label) for label in path)
    short_form = f"{document.region or document.title} · {numbers or '前言'}"
    if clause.kind == "indicator":
        short_form += f" 指标 {clause.number or clause.label}".rstrip()
    return Citation(
        canonical=canonical,
        short=short_form,
        region=document.region,
        title=document.title,
        section=" > ".join(path) if path else "前言",
        clause_id=clause.clause_id.split("#")[0],
        source=document.source,
    )


def _short_number(label: str) -> str:
    num = match_number(label)
    return short(num.scheme, num.value) if num else ""
