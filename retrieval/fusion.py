"""Rank fusion: a pure, deterministic function.

Reciprocal-rank fusion (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and
individual Rank Learning Methods", SIGIR 2009): score(d) = Σ_lists w / (k + rank_d). It needs no
score calibration between BM25 and cosine similarity, which is why it suits a hybrid of the two.
Ties are broken by clause id, so the same input gives the same order on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# k = 10, not the paper's 60: fitted with the dense list's weight on the development set (k 5–120 × weight
# 0.3–1.0, preferences kept at half a first place; retrieval/eval/README.md), confirmed on held-out. A
# smaller k trusts each list's first places more, which suits two lists of ~100 candidates each.
RRF_K = 10


def rrf(rankings: Sequence[Sequence[str]], *, k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[str, float]:
    """Fused score per id from ranked id lists (best first). Ids absent from a list get nothing from it."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def ordered(scores: Mapping[str, float]) -> list[str]:
    """Ids by descending score, ties broken by id: (-score, id)."""
    return sorted(scores, key=lambda item: (-scores[item], item))
