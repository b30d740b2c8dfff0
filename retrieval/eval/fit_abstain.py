"""``python -m retrieval.eval.fit_abstain``: fit the abstention model (retrieval/abstain.py) on the
development set only, and write retrieval/abstain.json.

Examples, all from development questions on the evaluation index:
- answerable: every covered question (section references excepted: they are answered by reference);
- not answerable: every uncovered question, and every covered question asked of the index with the
  documents of its field withheld (the five IP plans and the documents whose title names 专利 or 知识产权),
  its region restriction dropped: the water, fire, data, ecology and rural documents do not answer an IP
  question, though they share its everyday words (保护, 执法, 管理 …) — the hard case of abstention.

The threshold keeps KEEP_ANSWERABLE of the answerable development questions answered (a wrong
abstention still lists the closest clauses; a confident wrong answer is the worse failure, but an
assistant that abstains on every plain question is no use). Held-out and blind questions are never
read here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from retrieval.abstain import FEATURES, MODEL_FILE, features, fit

from .__main__ import SETS, evaluation_index, load_questions

FIELD_WORDS = ("专利", "知识产权")
KEEP_ANSWERABLE = 0.97


def examples(searcher, questions: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    from retrieval.records import Filters

    sample_sources = {j["source"] for q in questions for j in q["relevant"]}
    withheld = {d.doc_id for d in searcher.docs.values()
                if d.source in sample_sources or any(w in d.title for w in FIELD_WORDS)}
    others = tuple(d for d in searcher.docs if d not in withheld)
    rows, labels = [], []
    for q in questions:
        pq = searcher.parse(q["question"])
        if q["kind"] == "section_ref":
            continue
        hits = searcher.search(pq, k=10)
        rows.append(features(searcher, pq, hits))
        labels.append(0.0 if q["kind"] == "uncovered" else 1.0)
        if q["kind"] != "uncovered" and others:
            bare = replace(pq, regions=(), missing_regions=(), doc_types=())
            hits = searcher.search(bare, k=10, filters=Filters(doc_ids=others))
            rows.append(features(searcher, bare, hits))
            labels.append(0.0)
    return np.array(rows), np.array(labels)


def keep_threshold(p: np.ndarray, y: np.ndarray, keep: float = KEEP_ANSWERABLE) -> float:
    """The highest threshold that still answers ``keep`` of the answerable examples."""
    positives = np.sort(p[y == 1])
    index = int(np.floor((1.0 - keep) * len(positives)))
    return float(np.round(positives[index], 4))


def main() -> int:
    from retrieval.search import Searcher

    searcher = Searcher.open(evaluation_index())
    x, y = examples(searcher, load_questions(SETS["dev"]))
    weights, bias, mean, scale = fit(x, y)
    z = (x - mean) / scale
    p = 1.0 / (1.0 + np.exp(-(z @ weights + bias)))
    threshold = keep_threshold(p, y)
    manifest = searcher.index.manifest
    data = {
        "model": {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(),
                  "weights": weights.tolist(), "bias": bias, "threshold": threshold},
        "trained_on": {
            "set": "development (retrieval/eval/questions.jsonl)", "answerable": int(y.sum()),
            "not_answerable": int((1 - y).sum()),
            "negatives": "uncovered questions, and covered questions with the IP documents withheld",
            "index": f"{manifest.counts.get('documents')} documents, {manifest.counts.get('clauses')} clauses",
            "embedding_model": manifest.model, "dtype": _dtype(searcher), "fitted_at": datetime.now(UTC).date().isoformat(),
        },
        "training_fit": {"answerable_kept": float((p[y == 1] >= threshold).mean()),
                         "not_answerable_abstained": float((p[y == 0] < threshold).mean())},
    }
    MODEL_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, ensure_ascii=False, indent=1))
    return 0


def _dtype(searcher) -> str:
    return str(getattr(searcher.embedder, "dtype", "") or "float32")


if __name__ == "__main__":
    sys.exit(main())
