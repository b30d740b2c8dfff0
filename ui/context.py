"""Where a clause sits in its document: its section with the neighbouring clauses, and the outline tree
the Browse page shows. Pure functions over the loaded index (spans point into DocumentEntry.text)."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.records import Clause
from indexer.store import PlanIndex

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Block:
    """A whole clause as displayed: the parts of a long clause joined again (their spans are contiguous)."""

    clause_id: str  # the base id (no '#part')
    section_path: tuple[str, ...]
    text: str
    span: Span
    kind: str
    first: Clause  # the first part (for citing)


@dataclass(frozen=True, slots=True)
class SectionContext:
    parent: tuple[str, ...]  # the section the clause belongs to (labels root first; () = the document)
    blocks: tuple[Block, ...]  # a window of the section's clauses around the current one, in document order
    current: str  # base id of the clause the context is for
    total: int  # clauses in the whole section


@dataclass(frozen=True, slots=True)
class OutlineItem:
    key: str  # stable key of the entry: 'preamble' or 'h<i>' (i-th heading of the document)
    level: int
    label: str
    path: tuple[str, ...]


def linked_clause_of(index: PlanIndex, clause_id: str) -> Clause | None:
    """The clause a link names: itself, its first part (a clause split by length), or its first lead
    paragraph (a section read as run-in leads since the link was made), so old links keep working."""
    for candidate in (clause_id, f"{clause_id}#1", f"{clause_id}.l1", f"{clause_id}.l1#1"):
        clause = index.clause(candidate)
        if clause is not None:
            return clause
    return None


def base_id(clause_id: str) -> str:
    return clause_id.split("#")[0]


def blocks_of(index: PlanIndex, clauses: list[Clause]) -> list[Block]:
    """Clauses grouped by base id (parts joined), in document order."""
    groups: dict[str, list[Clause]] = {}
    for c in clauses:
        groups.setdefault(base_id(c.clause_id), []).append(c)
    out = []
    for bid, parts in groups.items():
        parts.sort(key=lambda c: c.part)
        first = parts[0]
        if first.kind == "indicator":
            out.append(Block(bid, first.section_path, first.text, first.span, first.kind, first))
            continue
        start, end = min(c.span[0] for c in parts), max(c.span[1] for c in parts)
        entry = index.document(first.doc_id)
        text = entry.text[start:end] if entry is not None else "".join(c.text for c in parts)
        out.append(Block(bid, first.section_path, text.strip(), (start, end), first.kind, first))
    return sorted(out, key=lambda b: (b.span[0], b.clause_id))


def block_of(index: PlanIndex, clause: Clause) -> Block:
    """The whole clause a hit (possibly one part of a long clause) belongs to."""
    bid = base_id(clause.clause_id)
    parts = [c for c in index.clauses_of(clause.doc_id) if base_id(c.clause_id) == bid]
    return blocks_of(index, parts or [clause])[0]


def section_context(index: PlanIndex, clause: Clause, window: int = 2) -> SectionContext:
    """The clause's parent section: its introduction and the sibling clauses (sharing section_path[:-1]),
    at most ``window`` on each side of the clause."""
    path = clause.section_path
    parent = path[:-1]
    members = [
        c
        for c in index.clauses_of(clause.doc_id)
        if c.kind != "indicator"
        and ((c.section_path[:-1] == parent and len(c.section_path) == len(path)) or (parent and c.section_path == parent))
    ]
    blocks = blocks_of(index, members)
    current = base_id(clause.clause_id)
    ids = [b.clause_id for b in blocks]
    if current not in ids:  # an indicator: show its section as it is
        return SectionContext(parent, tuple(blocks[: 2 * window + 1]), current, len(blocks))
    at = ids.index(current)
    lo, hi = max(0, at - window), min(len(blocks), at + window + 1)
    return SectionContext(parent, tuple(blocks[lo:hi]), current, len(blocks))


def outline(index: PlanIndex, doc_id: str) -> list[OutlineItem]:
    """The document's tree of headings (and 前言 when it has a preamble), in document order."""
    entry = index.document(doc_id)
    if entry is None:
        return []
    items = []
    if any(c.kind == "preamble" for c in index.clauses_of(doc_id)):
        items.append(OutlineItem("preamble", 1, "前言", ()))
    items += [OutlineItem(f"h{i}", h.level, h.label, h.path) for i, h in enumerate(entry.headings)]
    return items


def section_blocks(index: PlanIndex, doc_id: str, path: tuple[str, ...]) -> list[Block]:
    """The clauses under a heading (all of them, sub-sections included); () gives the preamble."""
    if not path:
        chosen = [c for c in index.clauses_of(doc_id) if c.kind == "preamble"]
    else:
        chosen = [
            c for c in index.clauses_of(doc_id) if c.kind != "indicator" and c.section_path[: len(path)] == path
        ]
    return blocks_of(index, chosen)


def outline_key_for(index: PlanIndex, clause: Clause) -> str:
    """The outline entry that shows a clause: its own heading, else the deepest heading above it."""
    items = outline(index, clause.doc_id)
    best, best_len = (items[0].key if items else ""), -1
    for item in items:
        n = len(item.path)
        if clause.section_path[:n] == item.path and n > best_len and (n > 0 or clause.kind == "preamble"):
            best, best_len = item.key, n
    return best

