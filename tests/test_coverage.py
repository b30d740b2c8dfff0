"""Property: the clause spans of a plan tile its body, with nothing lost and nothing doubled.

Headings with no text of their own (a chapter line directly followed by its first section) belong to
no clause; their heading span fills that gap. Between pieces only whitespace may remain.
"""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from indexer.clauses import make_clauses, segments
from indexer.clean import clean_text
from indexer.read import read_plan
from indexer.structure import parse_structure

ROOT = Path(__file__).resolve().parent.parent
MORE = ROOT / "retrieval" / "eval" / "corpus-more"
PLANS = (
    sorted((ROOT / "data").glob("*.txt"))
    + sorted(p for p in (ROOT / "tests" / "fixtures" / "plans").iterdir() if p.suffix in (".txt", ".md"))
    + sorted(p for p in MORE.iterdir() if p.suffix in (".txt", ".md") and p.name not in ("README.md", "SOURCES.md"))
)


def assert_tiles(text: str, body: tuple[int, int], pieces: list[tuple[int, int]]) -> None:
    pieces = sorted(pieces)
    cursor = body[0]
    for start, end in pieces:
        assert start >= cursor, f"overlap at {start}: {text[start:start + 20]!r}"
        assert text[cursor:start].strip() == "", f"lost text: {text[cursor:start]!r}"
        assert end > start
        cursor = end
    assert text[cursor : body[1]].strip() == "", f"lost tail: {text[cursor:body[1]]!r}"


def body_pieces(plan) -> list[tuple[int, int]]:
    own = {c.section_path for c in plan.clauses if c.kind != "indicator"}
    pieces = [c.span for c in plan.clauses if c.kind != "indicator"]
    pieces += [h.span for h in plan.headings if h.path not in own]
    return pieces


def test_every_plan_body_is_tiled():
    for path in PLANS:
        plan = read_plan(path)
        assert_tiles(plan.text, plan.document.body_span, body_pieces(plan))
        for c in plan.clauses:
            if c.kind != "indicator":
                assert plan.text[c.span[0] : c.span[1]] == c.text


# --- generated plans -------------------------------------------------------------------------------

WORDS = ["知识产权", "保护", "运用", "专利", "商标", "质押融资", "3.4倍", "2025年", "（2）项", "服务体系", "高质量", "执法"]
SCHEMES = [
    lambda n: f"{'一二三四五六七八九'[n - 1]}、",
    lambda n: f"（{'一二三四五六七八九'[n - 1]}）",
    lambda n: f"{n}.",
    lambda n: f"（{n}）",
]

# Sentences open with a verb: a paragraph that itself starts with "（2）" would be a heading.
sentence = st.lists(st.sampled_from(WORDS), min_size=2, max_size=6).map(lambda ws: "推进" + "，".join(ws) + "。")
title = st.lists(st.sampled_from([w for w in WORDS if not any(ch.isdigit() for ch in w)]), min_size=1, max_size=3).map("".join)


@st.composite
def tree(draw, depth=0):
    n = draw(st.integers(1 if depth else 2, 3))
    nodes = []
    for _ in range(n):
        children = draw(tree(depth + 1)) if depth < 3 and draw(st.booleans()) else []
        body = draw(st.lists(sentence, min_size=0 if children else 1, max_size=3))
        inline = draw(st.booleans())
        nodes.append((draw(title), body, inline, children))
    return nodes


def render(nodes, depth=0, path=()):
    lines, expected = [], []
    for i, (name, body, inline, children) in enumerate(nodes, 1):
        label = SCHEMES[depth](i) + name
        canonical = label.replace("(", "（").replace(")", "）")
        here = path + (canonical,)
        if inline and body:
            lines.append(f"{label}。{''.join(body)}")
        else:
            lines.append(label)
            if body:
                lines.append("".join(body))
        if body or not children:
            expected.append(here)
        sub_lines, sub_expected = render(children, depth + 1, here)
        lines += sub_lines
        expected += sub_expected
    return lines, expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree(), st.booleans())
def test_generated_plans_parse_and_tile(nodes, blank_lines):
    lines, expected = render(nodes)
    raw = "某省知识产权保护规划\n为加强保护，制定本规划。\n" + ("\n\n" if blank_lines else "\n").join(lines) + "\n"
    text = clean_text(raw)
    structure = parse_structure(text)
    clauses = make_clauses(text, structure, "gen", "")
    got = [c.section_path for c in clauses if c.part == 1 and c.kind != "preamble"]
    assert got == expected
    pieces = [(s, e) for kind, _, s, e in segments(text, structure)]
    assert_tiles(text, structure.body_span, pieces)
