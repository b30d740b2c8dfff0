"""The k best BM25 scores without scoring every clause: MaxScore pruning (Turtle & Flood 1995), exact.

A query's score of a clause is the sum, in token order, of its tokens' precomputed column entries
(``Bm25Postings.get_scores``). Summing every posting of every token costs the length of its postings: a
clause as a query (``similar_to``, 40 tokens) reads up to ~10^7 entries at 10^6 clauses, 100-200 ms, to
keep 100 rows. Here:

1. the rarest tokens (their postings short) are summed over their own rows, and the rows best by that
   sum (``PROBE`` per row wanted) are scored exactly: their k-th best score, ``theta``, is a lower bound
   of the k-th best score of all;
2. each token's bound is its count times its largest entry: the commonest tokens whose bounds add up to
   less than ``theta`` are skipped, the others' entries added to the rare tokens' sum over their postings;
   a row whose sum plus the skipped tokens' bounds stays under ``theta`` cannot be among the k best;
3. for the candidates left, each skipped token's bound is replaced by the row's own entry, heaviest token
   first, dropping every candidate whose bound falls under ``theta``; the few left are scored exactly.

An exact score is each token's entry of the row (0.0 where it has none: adding 0.0 to a float32 changes
nothing) added in token order: the very float32 the full sum gives. A query may weight its tokens instead
of repeating them (``weights``: a clause as the query of ``similar_to`` asks each of its telling tokens
once, times its count, instead of reading the same postings again for every repeat): each entry is then
the float32 product of the score and the weight, in the full sum and in the exact scores alike. Bounds carry a relative slack far
above float32 rounding. The rows come back best first, ties by row (``best``): the same rows and scores,
bit for bit, as ranking the full sum. When pruning cannot pay (short postings, bounds that prune little)
the full sum is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Postings summed for the lower bound, as a share of the clauses (at least the rarest token's): enough
# rows with several rare tokens for a k-th best that the common tokens' bounds cannot reach.
BOUND_SHARE = 1 / 16
# The plain sum reads every posting of every token as asked (a repeated token again), ~6 ns each at 10^6
# clauses; pruning costs ~15-30 ms whatever the query: up to 5 postings per clause the plain sum is cheaper.
FULL_BELOW = 5
SPREAD_RATIO = 16  # a column up to this many times longer than the rows asked is spread, not searched
PROBE = 4  # rows scored exactly for the first lower bound of the k-th best score, per row wanted


@dataclass(frozen=True, slots=True)
class Column:
    """One token's postings in one segment: clause rows (ascending, local to the segment) and scores."""

    offset: int  # the segment's first row in the index
    rows: np.ndarray
    scores: np.ndarray
    bound: float  # the largest score (0.0 for an empty column)


def full_sum(query: Sequence[Sequence[Column]], n: int, weights: Sequence[float] | None = None) -> np.ndarray:
    """Every row's score: each token's columns added in token order (a repeated token adds again), each
    times its weight when ``weights`` are given (one per token of ``query``)."""
    out = np.zeros(n, dtype=np.float32)
    for columns, weight in zip(query, _weights(query, weights), strict=True):
        for c in columns:
            np.add.at(out[c.offset :] if c.offset else out, c.rows, c.scores if weight == 1 else c.scores * weight)
    return out


def _weights(query: Sequence[Sequence[Column]], weights: Sequence[float] | None) -> list[np.float32]:
    if weights is None:
        return [np.float32(1)] * len(query)
    if len(weights) != len(query) or any(not w > 0 for w in weights):
        raise ValueError("one positive weight per query token")
    return [np.float32(w) for w in weights]


def best(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of some rows (ascending) by score, best first, ties by row."""
    if k < 1:
        return rows[:0], scores[:0]
    if len(rows) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        above = scores > kth
        ties = np.flatnonzero(scores == kth)[: k - int(np.count_nonzero(above))]  # the lowest rows
        keep = np.flatnonzero(above)
        keep = np.union1d(keep, ties)
        rows, scores = rows[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order]


def top_k(
    query: Sequence[Sequence[Column]], n: int, mask: np.ndarray, k: int, weights: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and float32 scores of the k best positive scores among ``mask`` rows, best first, ties by row:
    exactly those of ranking ``full_sum(query, n, weights)``. ``query``: each token's columns, in token
    order (a repeated token: the same sequence object again); ``weights``: one per token, or None for 1."""
    factors = _weights(query, weights)
    tokens: dict[int, tuple[Sequence[Column], float]] = {}  # distinct tokens: (columns, total weight asked)
    for columns, factor in zip(query, factors, strict=True):
        tokens[id(columns)] = (columns, tokens.get(id(columns), (columns, 0.0))[1] + float(factor))
    length = {key: sum(len(c.rows) for c in cols) for key, (cols, _) in tokens.items()}
    total = sum(length.values())
    if k < 1 or sum(length[id(columns)] for columns in query) <= n * FULL_BELOW:
        return _full(query, n, mask, k, factors)
    # 1. the rarest tokens summed in token order: a lower bound of every row's score
    rare, budget = set(), 0
    for key in sorted(tokens, key=length.__getitem__):
        if rare and budget + length[key] > n * BOUND_SHARE:
            break
        rare.add(key)
        budget += length[key]
    picked = [i for i, columns in enumerate(query) if id(columns) in rare]
    bound = full_sum([query[i] for i in picked], n, [factors[i] for i in picked])
    seen = np.flatnonzero(mask & (bound > 0))
    if len(seen) < k:
        return _full(query, n, mask, k, factors)
    scratch = np.zeros(n, dtype=np.float32)
    # theta, a lower bound of the k-th best score: the k-th best exact score of the rows best by that sum
    probe = seen[np.argpartition(-bound[seen], min(PROBE * k, len(seen)) - 1)[: PROBE * k]]
    probe.sort()
    exact = _exact(query, factors, probe, scratch)
    theta = float(np.partition(exact, len(exact) - k)[len(exact) - k])
    # 2. the commonest tokens whose bounds together stay under theta: no row that has none of the other
    # tokens can reach the k best, so only the other tokens' rows are candidates
    slack = 1e-4 + len(query) * 2.0**-20  # float32 sums in another order differ by far less than this
    weight = {key: count * max((c.bound for c in cols), default=0.0) for key, (cols, count) in tokens.items()}
    rest = sorted((key for key in tokens if key not in rare), key=lambda key: (weight[key], length[key]))
    skipped, skipped_keys = 0.0, []
    while rest and (skipped + weight[rest[0]]) * (1 + slack) < theta:
        skipped += weight[rest[0]]
        skipped_keys.append(rest.pop(0))
    if budget + sum(length[key] for key in rest) > total // 2:
        return _full(query, n, mask, k, factors)
    for key in rest:  # the other tokens' scores too: a row's sum then lacks only the skipped tokens'
        columns, count = tokens[key]
        for c in columns:
            np.add.at(bound[c.offset :] if c.offset else bound, c.rows, c.scores * np.float32(count))
    candidates = np.flatnonzero(mask & (bound > 0) & (bound >= np.float32(_floor(theta, skipped, slack))))
    if len(candidates) > PROBE * k:  # theta again, from the rows best by their sum so far: nearer the k-th best
        known = bound[candidates]
        probe = candidates[np.argpartition(-known, PROBE * k - 1)[: PROBE * k]]
        probe.sort()
        exact = _exact(query, factors, probe, scratch)
        theta = max(theta, float(np.partition(exact, len(exact) - k)[len(exact) - k]))
        candidates = candidates[known >= np.float32(_floor(theta, skipped, slack))]
    # 3. each skipped token's bound replaced by the candidates' own scores, heaviest first, dropping every
    # candidate whose bound falls under theta; the few left are scored exactly
    upper = bound[candidates].astype(np.float64) + skipped
    del bound
    entries: dict[int, np.ndarray] = {}
    for key in sorted(skipped_keys, key=lambda key: (-weight[key], length[key])):
        columns, count = tokens[key]
        entry = _entries(columns, candidates, scratch)
        upper += count * entry.astype(np.float64) - weight[key]
        keep = upper * (1 + slack) >= theta
        if not keep.all():
            candidates, upper, entry = candidates[keep], upper[keep], entry[keep]
            entries = {t: e[keep] for t, e in entries.items()}
        entries[key] = entry
    return best(candidates, _exact(query, factors, candidates, scratch, entries), k)


def _floor(theta: float, skipped: float, slack: float) -> float:
    """The least sum of the tokens read that can still reach ``theta`` with the skipped tokens' bounds."""
    return theta / (1 + slack) - skipped * (1 + slack)


def _entries(columns: Sequence[Column], rows: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """One token's score of each of some rows (ascending; 0.0 where the row does not have it).
    ``scratch``: zeros, one per row of the index, left as zeros."""
    entry = np.zeros(len(rows), dtype=np.float32)
    for c in columns:
        if not len(c.rows):
            continue
        if len(c.rows) <= SPREAD_RATIO * len(rows):  # spread the postings over the rows, read them back
            target = scratch[c.offset :] if c.offset else scratch
            target[c.rows] = c.scores
            entry = np.maximum(entry, scratch[rows])  # a row is in one segment: 0.0 in the others
            target[c.rows] = 0.0
            continue
        lo = int(np.searchsorted(rows, c.offset))  # rows of later segments are past its own: never found
        local = (rows[lo:] - c.offset).astype(c.rows.dtype, copy=False)
        at = np.minimum(np.searchsorted(c.rows, local), len(c.rows) - 1)  # binary search: they are sorted
        found = c.rows[at] == local
        entry[lo + np.flatnonzero(found)] = c.scores[at[found]]
    return entry


def _exact(
    query: Sequence[Sequence[Column]],
    factors: Sequence[np.float32],
    rows: np.ndarray,
    scratch: np.ndarray,
    entries: dict[int, np.ndarray] | None = None,
) -> np.ndarray:
    """The float32 scores of some rows (ascending), bit for bit those of ``full_sum``: each token's entry
    for every row (0.0 where it has none: adding it changes nothing) times its weight, added in token
    order. ``entries``: those already known, by token (unweighted)."""
    entries = {} if entries is None else entries
    out = np.zeros(len(rows), dtype=np.float32)
    for columns, factor in zip(query, factors, strict=True):
        entry = entries.get(id(columns))
        if entry is None:
            entry = entries[id(columns)] = _entries(columns, rows, scratch)
        out += entry if factor == 1 else entry * factor
    return out


def _full(
    query: Sequence[Sequence[Column]], n: int, mask: np.ndarray, k: int, factors: Sequence[np.float32]
) -> tuple[np.ndarray, np.ndarray]:
    scores = full_sum(query, n, factors)
    rows = np.flatnonzero(mask & (scores > 0))
    return best(rows, scores[rows], k)
