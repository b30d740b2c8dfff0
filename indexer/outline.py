"""The outline of a parsed plan, for a person (text) or for other tools (one JSON object)."""

from __future__ import annotations

from collections import Counter

from .numbering import CAPTION
from .records import ParsedPlan


def outline_json(plan: ParsedPlan) -> dict:
    """The contract other tools rely on: document, headings, clauses, indicators."""
    return {
        "document": plan.document.to_json(),
        "headings": [{"level": h.level, "label": h.label, "path": list(h.path)} for h in plan.headings],
        "clauses": [c.to_json() for c in plan.clauses],
        "indicators": [i.to_json() for i in plan.indicators],
    }


def outline_text(plan: ParsedPlan) -> str:
    """Headings as an indented tree with clause counts and departments, then the indicators."""
    doc = plan.document
    lines = [
        f"《{doc.title}》",
        f"  地区：{doc.region or '—'}（{doc.region_level or '—'}）  发文机关：{doc.issuer or '—'}  "
        f"文号：{doc.doc_number or '—'}  成文：{doc.signed or '—'}  发布：{doc.published or '—'}  类型：{doc.doc_type or '—'}",
        f"  来源：{doc.source}  sha256：{doc.sha256[:16]}…",
    ]
    body = [c for c in plan.clauses if c.kind != "indicator"]
    # a captioned table or box of a section is a 'lead' clause named by its caption
    kinds = Counter("block" if c.kind == "lead" and CAPTION.match(c.label) else c.kind for c in body if c.part == 1)
    lines.append(
        f"  条款：{sum(kinds.values())}（其中前言 {kinds['preamble']}，引言 {kinds['intro']}，引领段 {kinds['lead']}，"
        f"表格与专栏 {kinds['block']}，名词解释 {kinds['glossary']}），"
        f"分段 {len(body)}，标题 {len(plan.headings)}，指标 {len(plan.indicators)}"
    )
    lines.append("")
    by_path: dict[tuple[str, ...], list] = {}
    for c in body:
        by_path.setdefault(c.section_path, []).append(c)
    if () in by_path:
        lines.append(f"（前言）  [{len(by_path[()])} 段]")
    # Headings, and the run-in leads, captioned blocks and glossary terms under their sections, in text order.
    entries = []
    for h in plan.headings:
        own = by_path.get(h.path, [])
        note = ""
        if own:
            note = f"  [{own[0].kind}{'，' + str(len(own)) + ' 段' if len(own) > 1 else ''}]"
            note += "".join(f"  {part}" for part in own[0].departments.labelled())
        entries.append((h.span[0], "  " * (h.level - 1) + h.label + note))
    entries += [
        (c.span[0], "  " * (len(c.section_path) - 1) + f"「{c.label}」  [{c.kind}]")
        for c in body
        if c.kind in ("lead", "glossary") and c.part == 1
    ]
    lines += [line for _, line in sorted(entries, key=lambda e: e[0])]
    if plan.indicators:
        lines.append("")
        lines.append("指标：")
        for ind in plan.indicators:
            unit = f"（{ind.unit}）" if ind.unit else ""
            lines.append(
                f"  {ind.name}{unit}  {ind.baseline_period or ind.baseline_year}：{ind.baseline or '—'} → "
                f"{ind.target_period or ind.target_year}：{ind.target or '—'}"
                f"  {ind.attribute}  [{' > '.join(ind.section_path)}]"
            )
    return "\n".join(lines)
