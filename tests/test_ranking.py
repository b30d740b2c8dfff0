"""The one ranking function both backends share (retrieval/ranking.py), on hand-made candidates."""

from __future__ import annotations

import pytest

from indexer.records import Clause, Departments, Document
from retrieval.fusion import RRF_K
from retrieval.query import ParsedQuery
from retrieval.ranking import DOC_TYPE_BOOST, Ranked, by_region, fuse_hits

DOCS = {
    "a": Document("a", "a.txt", "0", "甲省规划", "甲省", "省", "甲省", doc_type="规划"),
    "b": Document("b", "b.txt", "0", "乙省实施意见", "乙省", "省", "乙省", doc_type="实施意见"),
}


def clause(cid: str, doc: str, departments: tuple[str, ...] = ()) -> Clause:
    return Clause(
        cid,
        doc,
        DOCS[doc].region,
        ("一、任务",),
        "1.",
        "",
        f"{cid} 的条文",
        (0, 1),
        departments=Departments(departments),
    )


CLAUSES = {
    c.clause_id: c
    for c in (
        clause("a:1", "a"),
        clause("a:2#1", "a"),
        clause("a:2#2", "a"),
        clause("a:3", "a", ("省财政厅",)),
        clause("b:1", "b"),
        clause("b:2", "b"),
    )
}


def run(pq: ParsedQuery, dense: list[str], lexical: list[str], **kw) -> list:
    calls = []

    def fetch(ids):
        calls.append(list(ids))
        return {i: CLAUSES[i] for i in ids}

    args = dict(mode="hybrid", weights={"dense": 0.3, "lexical": 1.0}, pinned=[], k=10, fetch=fetch, documents=DOCS)
    args.update(kw)
    hits = fuse_hits(
        pq,
        Ranked(dense, {c: 1.0 - 0.1 * i for i, c in enumerate(dense)}),
        Ranked(lexical, {c: 9.0 - i for i, c in enumerate(lexical)}),
        **args,
    )
    assert len(calls) == 1, "fetch is called once"
    return hits


def q(**kw) -> ParsedQuery:
    return ParsedQuery(raw="问", text="问", search_text="问", content_text="问", **kw)


def test_fusion_order_ranks_and_scores_are_kept():
    hits = run(q(), ["b:1", "a:1"], ["a:1", "b:2"])
    assert [h.clause_id for h in hits] == ["a:1", "b:2", "b:1"]
    first = hits[0]
    assert (first.dense_rank, first.lexical_rank, first.lexical_score) == (2, 1, 9.0)
    assert first.score == round(0.3 / (RRF_K + 2) + 1.0 / (RRF_K + 1), 6)
    assert hits[1].dense_rank is None and hits[1].dense_score is None
    assert [h.rank for h in hits] == [1, 2, 3]


def test_one_part_of_a_long_clause_unless_pinned():
    assert [h.clause_id for h in run(q(), [], ["a:2#1", "a:2#2", "a:1"])] == ["a:2#1", "a:1"]
    hits = run(q(), [], ["a:1"], pinned=["a:2#1", "a:2#2"])
    assert [h.clause_id for h in hits] == ["a:2#1", "a:2#2", "a:1"]
    assert hits[0].reasons[0] == "section reference"


def test_document_type_and_departments_are_preferences():
    plain = run(q(), [], ["b:1", "a:1"])
    typed = run(q(doc_types=("规划",)), [], ["b:1", "a:1"], preferred={"a"})
    assert [h.clause_id for h in plain] == ["b:1", "a:1"]
    assert [h.clause_id for h in typed] == ["a:1", "b:1"]
    assert typed[0].score == round(1 / (RRF_K + 2) + DOC_TYPE_BOOST, 6) and "document type" in typed[0].reasons
    who = run(q(intent="responsible"), [], ["b:1", "a:3"])
    assert [h.clause_id for h in who] == ["a:3", "b:1"]


def test_compare_puts_each_region_first_and_modes():
    hits = run(q(intent="compare"), [], ["a:1", "a:3", "b:1"])
    assert [h.clause_id for h in hits] == ["a:1", "b:1", "a:3"]
    assert [h.clause_id for h in run(q(), ["b:1"], ["a:1"], mode="dense")] == ["b:1"]
    with pytest.raises(ValueError):
        run(q(), [], [], mode="both")


def test_deterministic_ties_by_id_and_by_region():
    hits = run(q(), ["b:2", "a:1"], ["a:1", "b:2"])  # equal fused scores
    assert [h.clause_id for h in hits] == ["a:1", "b:2"]
    cover = by_region(hits, {"乙省": "省", "甲省": "省", "丙省": "省"}, 1, "", lambda h: True)
    assert [(r.region, len(r.hits)) for r in cover] == [("甲省", 1), ("乙省", 1), ("丙省", 0)]
    assert [r.region for r in by_region(hits, {"甲省": "省", "乙省": "省"}, 1, "甲省", lambda h: False)] == ["乙省"]


def test_a_region_covered_only_partly_comes_after_those_that_cover():
    hits = run(q(), ["a:1", "b:2"], ["a:1", "b:2"])  # 甲省 ranks first …
    regions = {"甲省": "省", "乙省": "省", "丙省": "省"}
    cover = by_region(hits, regions, 1, "", lambda h: True, lambda h: h.clause.doc_id == "a")  # … but only partly
    assert [(r.region, r.partial, len(r.hits)) for r in cover] == [("乙省", False, 1), ("甲省", True, 1), ("丙省", False, 0)]
    assert not any(r.partial for r in by_region(hits, regions, 1, "", lambda h: True))  # no judge: none partial
    # a region is partial only when every clause shown for it is
    both = by_region(run(q(), ["a:1", "a:3"], ["a:1", "a:3"]), regions, 2, "", lambda h: True, lambda h: h.clause_id == "a:1")
    assert [(r.region, r.partial) for r in both if r.hits] == [("甲省", False)]


def test_with_facts_only_the_hits_are_fetched_and_the_order_is_the_same():
    """A backend with columns gives what ranking needs of every candidate; whole clauses are read for
    the hits only (at a million clauses each read is a file seek and a JSON parse)."""
    from retrieval.ranking import Facts

    asked = []

    def facts(ids):
        asked.append(list(ids))
        return {i: Facts.of(CLAUSES[i]) for i in ids}

    for pq in (q(), q(intent="responsible"), q(intent="compare")):
        plain = run(pq, ["b:1", "a:1", "b:2"], ["a:1", "b:2", "b:1"], k=2)
        fetched = []

        def fetch(ids, fetched=fetched):
            fetched.append(list(ids))
            return {i: CLAUSES[i] for i in ids}

        with_facts = fuse_hits(
            pq,
            Ranked(["b:1", "a:1", "b:2"], {c: 1.0 - 0.1 * i for i, c in enumerate(["b:1", "a:1", "b:2"])}),
            Ranked(["a:1", "b:2", "b:1"], {c: 9.0 - i for i, c in enumerate(["a:1", "b:2", "b:1"])}),
            mode="hybrid", weights={"dense": 0.3, "lexical": 1.0}, pinned=[], k=2, fetch=fetch, documents=DOCS,
            facts=facts,
        )
        assert [(h.clause_id, h.score, h.reasons) for h in with_facts] == [
            (h.clause_id, h.score, h.reasons) for h in plain
        ]
        assert fetched == [[h.clause_id for h in with_facts]]
    assert all(sorted(a) == ["a:1", "b:1", "b:2"] for a in asked)
