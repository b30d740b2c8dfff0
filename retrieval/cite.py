"""Citations: one canonical form, exact to the character, the official form, and a short form.

    《青海省“十四五”知识产权保护和运用规划》 四、重点任务 （一）强化知识产权全链条保护 1.完善知识产权保护体系建设
    《青海省“十四五”知识产权保护和运用规划》第四部分第（一）项第1条
    青海省 · 四（一）1

A glossary term cites the glossary and the term: 《…》 名词解释 高价值发明专利, 青海省 · 名词解释「高价值发明专利」.

A title that itself contains 《》 nests them as 〈〉 (《关于印发〈…〉的通知》).

Section labels are the canonical ones the parser wrote (full-width brackets, ASCII dot), so a citation
reads the same whatever the source typed; the titles are the document's own characters.
"""

from __future__ import annotations

from indexer.numbering import ANNEX, DOTTED, match_number, official_numbers, short
from indexer.records import Clause, Document
from indexer.textnorm import to_simplified

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
    title = f"《{nested(document.title)}》"
    canonical = f"{title} {where}"
    numbers = ""
    after_annex = False
    for label in path:  # a dotted number (4.1.2) carries its parents': it stands for all of them
        number = match_number(label)
        if number and number.scheme in DOTTED:
            numbers = number.raw
            continue
        more = _short_number(label)  # 附件2 then 3 or 三: set apart, or they read as 附件23
        numbers += (" " if after_annex and more else "") + more
        after_annex = bool(number) and number.scheme == ANNEX
    name = document.cite_name or document.region or document.title  # 青海省, or 青海省 实施意见 beside its plan
    short_form = f"{name} · {numbers or '前言'}"
    if clause.kind == "lead":  # a run-in lead paragraph: the section's number plus the lead's words
        short_form += f"「{clause.label}」"
    if clause.kind == "indicator":
        short_form += f" 指标 {clause.number or clause.label}".rstrip()
    if clause.kind == "glossary":  # a term of the glossary: 名词解释「高价值发明专利」
        short_form = f"{name} · {' '.join(path[:-1])}「{clause.label}」"
    return Citation(
        canonical=canonical,
        short=short_form,
        official=_official(clause, title),
        simplified=to_simplified(canonical),
        region=document.region,
        title=document.title,
        section=" > ".join(path) if path else "前言",
        clause_id=clause.clause_id.split("#")[0],
        source=document.source,
    )


def _short_number(label: str) -> str:
    num = match_number(label)
    return short(num.scheme, num.value) if num else ""


def nested(title: str) -> str:
    """A title inside 《》: its own 《》 become 〈〉, as Chinese typesetting nests title marks."""
    return title.replace("《", "〈").replace("》", "〉")


def _official(clause: Clause, title: str) -> str:
    """《文件》第四部分第（三）项第3条; where a heading has no number, the headings quoted and joined by 之."""
    path = clause.section_path
    if clause.kind == "preamble" or not path:
        return f"{title}前言"
    if clause.kind == "glossary":
        return f"{title}{''.join(path[:-1])}之“{clause.label}”"
    lead = ""
    if clause.kind == "lead" and path[-1] == clause.label:
        path, lead = path[:-1], f"之“{clause.label}”"
    numbers = [match_number(label) for label in path]
    dotted = [n for n in numbers if n and n.scheme in DOTTED]
    if not path:
        where = "前言"
    elif dotted:  # 《…》第4.1.2节, then the items under it: 第4.1.1节第（1）项
        below = numbers[numbers.index(dotted[-1]) + 1 :]
        where = f"第{dotted[-1].raw}节" + "".join(
            f"第{short(n.scheme, n.value)}{('项', '目', '点')[min(k, 2)]}" for k, n in enumerate(below) if n
        )
    elif all(numbers):
        where = official_numbers([(n.scheme, n.value) for n in numbers])
    else:
        where = "之".join(f"“{label}”" for label in path)
    if clause.kind == "indicator":
        where += f"之“{clause.label}”" if clause.label else ""
    return f"{title}{where}{lead}"
