"""Rows of an IVF index scored in its lists (indexer/ivfcodes.py): the scores FAISS's own decoding gives,
for every kind of lists the index is read with, and None (FAISS decodes) for any other index."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from indexer import ivfcodes, vectors
from indexer.ivfcodes import row_scorer

DIM = 32


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _written(tmp_path, n: int = 2000, encoding: str = "SQfp16", mmap: bool = True, mapped: bool = True):
    """An IVF index as the build writes it, read back as the loader reads it (or whole); ``mapped``: with
    its rows mapped to their lists, as ``vectors._prepare`` leaves it."""
    import faiss

    path = tmp_path / f"ivf-{encoding}.index"
    spec = {"type": "ivf", "nlist": 16, "nprobe": 4, "encoding": encoding}
    vectors._write_vectors(path, _vectors(n), DIM, spec, 16)
    index = vectors._read_faiss(path) if mmap else faiss.read_index(str(path))
    if mapped:
        index.make_direct_map()
    return index


def _check(index, rows) -> None:
    query = _vectors(1, seed=9)[0]
    scorer = row_scorer(index)
    assert scorer is not None
    want = index.reconstruct_batch(np.asarray(rows, dtype=np.int64)) @ query
    got = scorer.scores(np.asarray(rows), query)
    assert got.dtype == np.float32 and got.shape == (len(rows),)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


@pytest.mark.parametrize("mmap", [True, False], ids=["memory-mapped", "read-whole"])
@pytest.mark.parametrize("encoding", ["SQfp16", "Flat", "SQ8"])
def test_rows_score_as_faiss_decodes_them(tmp_path, mmap, encoding):
    index = _written(tmp_path, encoding=encoding, mmap=mmap)
    rng = np.random.default_rng(1)
    _check(index, np.arange(index.ntotal))  # every row
    _check(index, rng.choice(index.ntotal, 300, replace=False))  # unsorted
    _check(index, [5, 5, 0, index.ntotal - 1, 5])  # repeats, both ends
    _check(index, [7])
    assert len(row_scorer(index).scores(np.zeros(0, dtype=np.int64), np.ones(DIM, dtype=np.float32))) == 0


def test_the_rows_of_a_stacked_segment_score_in_both_parts(tmp_path):
    """An IVF base with segment vectors stacked beside its memory-mapped lists (segments.stack_vectors)."""
    import faiss

    from indexer.segments import stack_vectors

    base = _written(tmp_path, n=1500, mapped=False)  # stacked as the loader stacks, then prepared
    delta = faiss.IndexFlatIP(DIM)
    delta.add(_vectors(200, seed=3))
    stacked = stack_vectors(base, [delta])
    stacked.make_direct_map()
    scorer = row_scorer(stacked)
    assert scorer is not None and len(scorer.parts) == 2
    _check(stacked, np.arange(stacked.ntotal))
    _check(stacked, np.random.default_rng(2).choice(stacked.ntotal, 400, replace=False))
    _check(stacked, [1700 - 1, 0, 1500, 1499])  # the last of each part, the first of each
    del scorer, stacked, base
    gc.collect()


def test_other_indexes_are_left_to_faiss(tmp_path):
    import faiss

    flat = faiss.IndexFlatIP(DIM)
    flat.add(_vectors(50))
    assert row_scorer(flat) is None
    assert row_scorer(_written(tmp_path, mapped=False)) is None  # rows cannot be found without the map
    l2 = faiss.index_factory(DIM, "IVF4,SQfp16", faiss.METRIC_L2)
    l2.train(_vectors(400))
    l2.add(_vectors(400))
    l2.make_direct_map()
    assert row_scorer(l2) is None  # an L2 scanner measures distances, not inner products


def test_index_rows_fall_back_to_decoding_when_the_lists_cannot_be_read(tmp_path, monkeypatch):
    index = _written(tmp_path)
    rows = vectors.IndexRows(index)
    query = _vectors(1, seed=5)[0]
    picked = np.array([3, 1, 400])
    fast = rows.scores(picked, query)
    monkeypatch.setattr(ivfcodes, "row_scorer", lambda index: None)
    slow = vectors.IndexRows(index).scores(picked, query)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=2e-6)
    np.testing.assert_allclose(slow, rows.take(picked) @ query, rtol=0, atol=0)


def test_scanners_are_reused_not_made_per_call(tmp_path):
    """SWIG cannot free a FAISS list scanner: one made per query would leak."""
    index = _written(tmp_path)
    scorer = row_scorer(index)
    query = _vectors(1, seed=5)[0]
    for _ in range(20):
        scorer.scores(np.arange(10), query)
    assert len(scorer._scanners) == 1
