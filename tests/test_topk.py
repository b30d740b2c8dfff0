"""The k best BM25 rows without scoring every row (indexer.topk): the same rows and float32 scores, bit for
bit, as summing every posting and ranking all rows, ties by row."""

import numpy as np
import pytest

from indexer import topk
from indexer.topk import Column, best, full_sum, top_k
from retrieval.search import _top


def _postings(seed: int, n: int = 3000, vocab: int = 40, segments=(0, 1000, 2200), copies: int = 3):
    """Columns of a synthetic index: token document frequencies from 0.2% to 70% of the rows (a few very
    common tokens, many rare ones), scores as BM25 gives them, and every row's postings repeated in
    ``copies`` rows (as the tiled benchmark index repeats its plans: equal scores, ties everywhere)."""
    rng = np.random.default_rng(seed)
    base = n // copies
    bounds = [*segments, n]
    columns = []
    for t in range(vocab):
        share = 0.7 * (t + 1) ** -1.3
        rows = np.flatnonzero(rng.random(base) < share)
        tf = rng.integers(1, 4, len(rows))
        idf = np.log(1 + (n - len(rows) * copies + 0.5) / (len(rows) * copies + 0.5))
        scores = (idf * tf / (tf + 1.5 * rng.uniform(0.4, 1.6, len(rows)))).astype(np.float32)
        rows = np.concatenate([rows + c * base for c in range(copies)])
        scores = np.tile(scores, copies)
        order = np.argsort(rows, kind="stable")
        rows, scores = rows[order], scores[order]
        cols = []
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            keep = (rows >= start) & (rows < end)
            if keep.any():
                r, s = (rows[keep] - start).astype(np.int32), scores[keep]
                cols.append(Column(start, r, s, float(s.max())))
        columns.append(cols)
    return columns


def _reference(query, n, mask, k, weights=None):
    scores = full_sum(query, n, weights)
    rows = np.flatnonzero(mask & (scores > 0))
    order = sorted(rows.tolist(), key=lambda r: (-float(scores[r]), r))[:k]  # the definition, plainly
    return np.array(order, dtype=np.int64), scores[order]


@pytest.mark.parametrize("seed", range(6))
def test_top_k_equals_ranking_the_full_sum_bit_for_bit(seed, monkeypatch):
    n = 3000
    columns = _postings(seed, n)
    rng = np.random.default_rng(100 + seed)
    monkeypatch.setattr(topk, "FULL_BELOW", 0)  # pruned whatever the length of the postings (a small index)
    full_calls = []
    real_full = topk._full
    monkeypatch.setattr(topk, "_full", lambda *a: full_calls.append(1) or real_full(*a))
    cases = 0
    for _ in range(25):
        size = int(rng.integers(1, 60))
        picked = rng.choice(len(columns), size=size, p=np.full(len(columns), 1 / len(columns)))
        query = [columns[i] for i in picked]  # repeats: the same column list again, as a scorer passes them
        for mask in (np.ones(n, dtype=bool), rng.random(n) < 0.6, np.arange(n) % 1000 > 300):
            for k in (1, 10, 100):
                rows, scores = top_k(query, n, mask, k)
                want_rows, want_scores = _reference(query, n, mask, k)
                assert rows.tolist() == want_rows.tolist()
                assert scores.dtype == np.float32 and np.array_equal(scores, want_scores)
                cases += 1
    assert len(full_calls) < cases / 2  # most of them were pruned, not summed whole


@pytest.mark.parametrize("seed", range(4))
def test_weighted_tokens_give_the_weighted_full_sum_bit_for_bit(seed, monkeypatch):
    """A clause as the query asks each token once with its count as weight: the pruned top k is exactly
    the ranking of the weighted full sum, and that sum is the repeated tokens' sum up to float32 rounding."""
    n = 3000
    columns = _postings(seed, n)
    rng = np.random.default_rng(200 + seed)
    monkeypatch.setattr(topk, "FULL_BELOW", 0)
    for _ in range(20):
        picked = rng.choice(len(columns), size=int(rng.integers(1, 30)), replace=False)
        counts = rng.integers(1, 6, len(picked))
        query, weights = [columns[i] for i in picked], counts.tolist()
        repeated = [columns[i] for i, c in zip(picked, counts, strict=True) for _ in range(c)]
        assert np.allclose(full_sum(query, n, weights), full_sum(repeated, n), rtol=1e-5)
        for mask in (np.ones(n, dtype=bool), rng.random(n) < 0.6):
            for k in (1, 10, 100):
                rows, scores = top_k(query, n, mask, k, weights)
                want_rows, want_scores = _reference(query, n, mask, k, weights)
                assert rows.tolist() == want_rows.tolist()
                assert scores.dtype == np.float32 and np.array_equal(scores, want_scores)
    with pytest.raises(ValueError):
        top_k(columns[:2], n, np.ones(n, dtype=bool), 5, [1.0])
    with pytest.raises(ValueError):
        full_sum(columns[:2], n, [1.0, 0.0])


def test_best_keeps_the_lowest_rows_among_ties_at_the_k_th_score():
    scores = np.array([3, 2, 2, 1, 2, 3, 2, 1], dtype=np.float32)
    rows = np.arange(len(scores)) * 10
    got_rows, got_scores = best(rows, scores, 4)
    assert got_rows.tolist() == [0, 50, 10, 20] and got_scores.tolist() == [3, 3, 2, 2]
    assert best(rows, scores, 0)[0].tolist() == []
    assert best(rows, scores, 20)[0].tolist() == [0, 50, 10, 20, 40, 60, 30, 70]


def test_top_keeps_the_lowest_rows_among_ties_at_the_last_place():
    """It used to keep whichever tied rows ``np.argpartition`` left in front: ties broken by the
    selection algorithm's swaps, not by row as documented."""
    rng = np.random.default_rng(0)
    scores = rng.integers(1, 4, 300).astype(np.float32)
    want = sorted(range(300), key=lambda i: (-scores[i], i))[:100]
    assert _top(scores, np.ones(300, dtype=bool), 100, positive_only=True) == want


def test_searcher_lexical_candidates_are_the_full_ranking(fake_searcher, monkeypatch):
    s = fake_searcher
    lexical = s.index.lexical
    monkeypatch.setattr(topk, "FULL_BELOW", 0)  # pruned where it can be, on real plan texts
    pruned = []
    real_exact = topk._exact
    monkeypatch.setattr(topk, "_exact", lambda *a: pruned.append(1) or real_exact(*a))
    everything = np.ones(len(s.clauses), dtype=bool)
    some = np.arange(len(s.clauses)) % 3 != 0
    texts = [
        "知识产权质押融资",
        "专利 专利 侵权纠纷",
        "地理标志",
        "数字经济发展水平",
        *(c.text for c in s.clauses[::9]),
    ]
    for text in texts:
        tokens = lexical.tokens(text)
        full = lexical.token_scores(tokens)
        for mask in (everything, some):
            for k in (3, 10, 100):
                rows, scores = lexical.top(tokens, mask, k)
                assert rows.tolist() == _top(full, mask, k, positive_only=True), text
                assert np.array_equal(scores, full[rows]), text
    assert pruned
    assert lexical.top([], everything, 100)[0].tolist() == []


def test_a_precomputed_matrix_of_format_2_gives_the_same_top_k(fake_searcher, monkeypatch):
    from indexer.lexical import Bm25Matrix, LexicalIndex, TokenCounts, bm25_arrays

    monkeypatch.setattr(topk, "FULL_BELOW", 0)
    texts = [c.text for c in fake_searcher.clauses]
    vocab, scores, n = bm25_arrays([TokenCounts.of(texts[:40]), TokenCounts.of(texts[40:])])
    lexical = LexicalIndex(Bm25Matrix({**scores, "num_docs": n}, vocab), fake_searcher.index.lexical.tokenizer, n)
    mask = np.arange(n) % 4 != 1
    for text in ("知识产权质押融资", "专利 专利 侵权纠纷", *texts[::11]):
        tokens = lexical.tokens(text)
        full = lexical.token_scores(tokens)
        for k in (5, 100):
            rows, got = lexical.top(tokens, mask, k)
            assert rows.tolist() == _top(full, mask, k, positive_only=True), text
            assert np.array_equal(got, full[rows]), text
