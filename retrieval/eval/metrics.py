"""The figures of one question set: per question outcomes first, then means with bootstrap intervals.

Every figure is a mean of per-question values (1/0 for R@1, R@5, abstained …; 1/rank for MRR; a share for
comparison coverage), so one bootstrap over questions gives an interval for each: 1,000 resamples with a
fixed seed, the 2.5th and 97.5th percentiles (Efron & Tibshirani 1993, percentile method).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .judge import matches, relevant

MODES = ("lexical", "dense", "hybrid")
BOOTSTRAP = 1000
SEED = 20261202


@dataclass
class Outcomes:
    """Per-question values, keyed by figure name; ``kinds`` says which question each value belongs to."""

    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, kind: str, value: float) -> None:
        self.values[name].append(float(value))
        self.kinds[name].append(kind)


def run(searcher, questions: list[dict]) -> Outcomes:
    """Ask every question; record what each figure needs."""
    from retrieval.answer import answer

    out = Outcomes()
    for q in questions:
        kind = q["kind"]
        pq = searcher.parse(q["question"])
        if kind != "uncovered":
            for mode in MODES:
                hits = searcher.search(pq, k=10, mode=mode)
                rank = next((h.rank for h in hits if relevant(h, q["relevant"])), None)
                out.add(f"{mode}.r1", kind, rank == 1)
                out.add(f"{mode}.r5", kind, rank is not None and rank <= 5)
                out.add(f"{mode}.mrr", kind, 1.0 / rank if rank else 0.0)
                if mode == "hybrid" and rank != 1:
                    out.failures.append(f"{q['id']}: relevant at rank {rank or '>10'}: {q['question'][:50]}")
        hits = searcher.search(pq, k=10)
        ans = answer(searcher, pq, hits)
        if kind == "uncovered":
            out.add("abstain.uncovered", "hard" if q.get("hard") else "ordinary", ans.abstain)
            # compared as a topic, how many regions it is shown as covered in (lower is better: none is right)
            out.add("compare.uncovered_covering", "uncovered",
                    float(sum(r.covered and not r.partial for r in searcher.compare(q["question"]))))
            # the worst outcome: answered with no tentative mark (the page shows no 请核对原文 notice)
            out.add("answer.confident_uncovered", "hard" if q.get("hard") else "ordinary",
                    not ans.abstain and not ans.tentative)
            if not ans.abstain:
                out.failures.append(f"{q['id']}: answered an uncovered question: {q['question'][:50]}")
        else:
            out.add("abstain.false", kind, ans.abstain)
            out.add("answer.tentative_covered", kind, not ans.abstain and ans.tentative)
            if ans.abstain:
                out.failures.append(f"{q['id']}: abstained wrongly: {q['question'][:50]}")
        if kind == "compare":
            _compare(searcher, q, hits, out)
        if kind == "numeric":
            out.add("answer.numeric", kind, str(q["expect"]) in ans.text)
            # the figure asked about first among those the answer lists (相关数值)
            out.add("answer.numeric_first", kind, bool(ans.figures) and str(q["expect"]) in ans.figures[0])
        if kind == "department":
            expect = q["expect"] if isinstance(q["expect"], list) else [q["expect"]]
            out.add("answer.department", kind, bool(ans.departments) and ans.departments[0] == expect[0])
    return out


def _compare(searcher, q: dict, hits, out: Outcomes) -> None:
    """Coverage of the documents that answer a comparison: in the top 10 of the search, and in compare()."""
    covering = {j["source"] for j in q["relevant"]}
    in_top = {h.document.source for h in hits if relevant(h, q["relevant"])}
    out.add("compare.top10", "compare", len(covering & in_top) / len(covering))
    rows = searcher.compare(q["question"])
    field_of = document_fields()
    fields = {field_of.get(s) for s in covering}
    shown = {h.document.source for row in rows for h in row.hits if relevant(h, q["relevant"])}
    # "": every region shown; "_covering": leaving out those shown as only partly related
    for suffix, kept in (("", rows), ("_covering", [row for row in rows if not row.partial])):
        found = {h.document.source for row in kept for h in row.hits if relevant(h, q["relevant"])}
        out.add(f"compare.rows{suffix}", "compare", len(covering & found) / len(covering))
        # The other side: documents shown as covering the topic whose whole field (fields.json) has no
        # covering document — certainly wrong rows (a water plan shown for trade secrets); documents of the
        # covering field the judges did not list are not counted (the earlier sets' judges saw only IP plans).
        listed = {h.document.source for row in kept for h in row.hits if h.document.source in field_of}
        if listed:
            out.add(f"compare.offfield{suffix}", "compare", sum(field_of[s] not in fields for s in listed) / len(listed))
    if covering - shown:
        out.failures.append(f"{q['id']}: compare() shows nothing relevant from {sorted(covering - shown)}")
    _similar(searcher, q, out)


def _similar(searcher, q: dict, out: Outcomes) -> None:
    """similar_to judged from a comparison's judgments: each judged section's first clause is asked for its
    closest clause in every other region. A region with a judged document should be shown
    (``similar.covering_shown``) with a judged clause first (``similar.first_relevant``); a region whose
    documents are all of another field (fields.json) should not (``similar.offfield_shown``, lower is better)."""
    field_of = document_fields()
    covering = {j["source"] for j in q["relevant"]}
    fields = {field_of.get(s) for s in covering}
    sources: dict[str, set[str]] = {}
    for entry in searcher.index.documents:
        sources.setdefault(entry.document.region, set()).add(entry.document.source)
    for judged in q["relevant"]:
        anchor = next((c for c in searcher.clauses
                       if matches(searcher.index.document(c.doc_id).document.source, c.section_path, judged)), None)
        if anchor is None:
            continue
        for row in searcher.similar_to(anchor.clause_id):
            region_sources = sources.get(row.region, set())
            if region_sources & covering:
                out.add("similar.covering_shown", "compare", row.covered)
                out.add("similar.first_relevant", "compare", bool(row.hits) and relevant(row.hits[0], q["relevant"]))
            elif region_sources and all(field_of.get(s) not in fields for s in region_sources):
                out.add("similar.offfield_shown", "compare", row.covered)


@functools.cache
def document_fields() -> dict[str, str]:
    """The field of each evaluation document, by file name (fields.json)."""
    data = json.loads((Path(__file__).resolve().parent / "fields.json").read_text(encoding="utf-8"))
    return {name: field for field, names in data["fields"].items() for name in names}


def interval(values: list[float], rng: np.random.Generator) -> tuple[float, float, float]:
    """(mean, low, high) with a 95% percentile-bootstrap interval."""
    arr = np.asarray(values, dtype=float)
    if not len(arr):
        return (float("nan"),) * 3
    means = arr[rng.integers(0, len(arr), size=(BOOTSTRAP, len(arr)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(arr.mean()), float(low), float(high)


def figures(out: Outcomes) -> dict[str, dict[str, dict[str, float]]]:
    """{figure: {'all' | kind: {'n', 'mean', 'low', 'high'}}}, deterministic (fixed seed)."""
    result: dict[str, dict[str, dict[str, float]]] = {}
    for name in sorted(out.values):
        rng = np.random.default_rng(SEED)
        values, kinds = out.values[name], out.kinds[name]
        groups = {"all": values}
        for kind in sorted(set(kinds)):
            groups[kind] = [v for v, k in zip(values, kinds, strict=True) if k == kind]
        result[name] = {}
        for group, vals in groups.items():
            mean, low, high = interval(vals, rng)
            result[name][group] = {"n": len(vals), "mean": mean, "low": low, "high": high}
    return result
