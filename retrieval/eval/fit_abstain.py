"""``python -m retrieval.eval.fit_abstain``: fit the abstention model (retrieval/abstain.py) and write
retrieval/abstain.json. Held-out and blind questions are never read here.

Training examples, all asked of the evaluation index (``--train`` picks the sources):
- ``dev``: the development questions (covered: answerable; uncovered: not);
- ``synthetic``: the domain adapter's synthetic questions of its training documents
  (indexer/resources/finetune/questions.jsonl, written from clause texts; all answerable);
- ``writer``: retrieval/eval/abstain-train.jsonl, written for this model by a writer who saw the plan
  texts only (neither code nor any evaluation set): out-of-scope questions (hard ones with the plans'
  own words nearby, other fields of government, off-topic, regions with no document) and answerable ones.
Every answerable question is also asked with every document of its field withheld (fields.json), its
region restriction dropped: the remaining documents share its everyday words (保护, 管理, 执法 …) but do
not answer it — the hard case of abstention. Section references are left out (answered by reference),
and so are questions naming a region with no document (answered by the region message, not the model).

The threshold keeps KEEP_ANSWERABLE of the answerable examples answered (a wrong abstention still lists
the closest clauses; a confident wrong answer is the worse failure, but an assistant that abstains on
every plain question is no use).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from retrieval.abstain import FEATURES, MODEL_FILE, features, fit

from .__main__ import HERE, PROJECT, SETS, evaluation_index, load_questions
from .metrics import document_fields

KEEP_ANSWERABLE = 0.97
SOURCES = {
    "dev": SETS["dev"],
    "synthetic": PROJECT / "indexer" / "resources" / "finetune" / "questions.jsonl",
    "writer": HERE / "abstain-train.jsonl",
}
SOURCE_NAMES = {"dev": "development", "synthetic": "synthetic questions", "writer": "written for abstention"}


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    answerable: bool
    sources: tuple[str, ...]  # the documents that answer it (file names), when answerable
    origin: str  # the training source it came from


def read_examples(source: str) -> list[Example]:
    """The examples of one training source, in one shape."""
    out = []
    for q in load_questions(SOURCES[source]):
        if source == "dev":
            if q["kind"] == "section_ref":
                continue
            sources = tuple(sorted({j["source"] for j in q.get("relevant", [])}))
            out.append(Example(q["question"], q["kind"] != "uncovered", sources, source))
        elif source == "synthetic":
            out.append(Example(q["question"], True, (q["source"],), source))
        else:
            out.append(Example(q["question"], bool(q["answerable"]), (q["source"],) if q.get("source") else (), source))
    return out


def examples(searcher, items: list[Example]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(features, labels, a group per row: the origin, and whether it is a withheld-field negative)."""
    from retrieval.records import Filters

    field_of = document_fields()
    doc_of = {d.source: d.doc_id for d in searcher.docs.values()}
    rows, labels, groups = [], [], []
    for item in items:
        pq = searcher.parse(item.question)
        if pq.missing_regions:
            continue
        hits = searcher.search(pq, k=10)
        if hits and "section reference" in hits[0].reasons:
            continue
        rows.append(features(searcher, pq, hits))
        labels.append(float(item.answerable))
        groups.append(f"{item.origin}:{'answerable' if item.answerable else 'not answerable'}")
        if item.answerable and item.sources:
            withheld_fields = {field_of.get(s) for s in item.sources}
            withheld = {doc_of[n] for n, f in field_of.items() if f in withheld_fields and n in doc_of}
            withheld |= {doc_of[s] for s in item.sources if s in doc_of}
            others = tuple(d for d in searcher.docs if d not in withheld)
            if not others:
                continue
            bare = replace(pq, regions=(), missing_regions=(), doc_types=())
            hits = searcher.search(bare, k=10, filters=Filters(doc_ids=others))
            rows.append(features(searcher, bare, hits))
            labels.append(0.0)
            groups.append(f"{item.origin}:field withheld")
    return np.array(rows), np.array(labels), groups


def keep_threshold(p: np.ndarray, y: np.ndarray, keep: float = KEEP_ANSWERABLE) -> float:
    """The highest threshold that still answers ``keep`` of the answerable examples."""
    positives = np.sort(p[y == 1])
    index = int(np.floor((1.0 - keep) * len(positives)))
    return float(np.round(positives[index], 4))


def main(argv: list[str] | None = None) -> int:
    from retrieval.search import Searcher

    parser = argparse.ArgumentParser(prog="python -m retrieval.eval.fit_abstain", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", default="dev", help="training sources, comma-separated: " + ", ".join(SOURCES))
    parser.add_argument("--dry-run", action="store_true", help="print the model, do not write abstain.json")
    args = parser.parse_args(argv)
    chosen = list(dict.fromkeys(s.strip() for s in args.train.split(",") if s.strip()))  # each source once
    if not chosen:  # before the evaluation index is built: there would be nothing to fit
        parser.error(f"no training source given (choose from {', '.join(SOURCES)})")
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown:
        parser.error(f"unknown training source {unknown[0]!r} (choose from {', '.join(SOURCES)})")
    searcher = Searcher.open(evaluation_index())
    x, y, groups = examples(searcher, [e for s in chosen for e in read_examples(s)])
    weights, bias, mean, scale = fit(x, y)
    p = 1.0 / (1.0 + np.exp(-(((x - mean) / scale) @ weights + bias)))
    threshold = keep_threshold(p, y)
    manifest = searcher.index.manifest
    per_group = {g: {"n": n, "answered" if g.endswith(":answerable") else "abstained":
                     round(float(np.mean([(p[i] >= threshold) == g.endswith(":answerable") for i, h in enumerate(groups) if h == g])), 3)}
                 for g, n in sorted(Counter(groups).items())}
    data = {
        "model": {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
                  "weights": weights.tolist(), "bias": bias, "threshold": threshold},
        "trained_on": {
            "set": " + ".join(f"{SOURCE_NAMES[s]} ({SOURCES[s].relative_to(PROJECT)})" for s in chosen),
            "sources": {s: str(SOURCES[s].relative_to(PROJECT)) for s in chosen},
            "answerable": int(y.sum()), "not_answerable": int((1 - y).sum()),
            "negatives": "uncovered and out-of-scope questions, and answerable questions asked with their field's documents withheld (fields.json)",
            "index": f"{manifest.counts.get('documents')} documents, {manifest.counts.get('clauses')} clauses",
            "embedding_model": manifest.model, "dtype": _dtype(searcher), "fitted_at": datetime.now(UTC).date().isoformat(),
        },
        "training_fit": {"answerable_kept": float((p[y == 1] >= threshold).mean()),
                         "not_answerable_abstained": float((p[y == 0] < threshold).mean()), "groups": per_group},
    }
    if not args.dry_run:
        MODEL_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=1))
    return 0


def _dtype(searcher) -> str:
    return str(getattr(searcher.embedder, "dtype", "") or "float32")


if __name__ == "__main__":
    sys.exit(main())
