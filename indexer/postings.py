"""BM25 from raw term frequencies, scored at query time, over one or more segments of an index.

A precomputed BM25 matrix (``lexical.Bm25Matrix``) bakes the corpus-wide IDF and mean document length into
every score, so adding one plan changes every number in it. Here each segment keeps what does not change
when others are added: per (token, clause) the raw term frequency, per clause its length. A query computes

    idf(t) · tf / (tf + k1 · (1 − b + b · len / avg))      idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))

with N, df and avg summed over every segment: the same arithmetic, step for step and in the same float
types, as ``lexical.bm25_arrays`` (bm25s's 'lucene' method), so an index of several segments scores each
clause exactly as one built from scratch over the same clauses (tests/test_segments.py).

On disk (``lexical/`` of a segment, ``allow_pickle=False``): ``indices.csc.index.npy`` (clause of each pair,
CSC by token), ``indptr.csc.index.npy``, ``tf.csc.index.npy`` (uint16, int32 past 65535), ``lengths.index.npy``
(tokens per clause), ``vocab.index.json`` (token -> column) and ``params.index.json`` (k1, b).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

K1, B = 1.5, 0.75  # bm25s's defaults (method 'lucene'), which every index so far was built with
FILES = {"indices": "indices.csc.index.npy", "indptr": "indptr.csc.index.npy", "tf": "tf.csc.index.npy",
         "lengths": "lengths.index.npy"}


def merged_pairs(parts) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sorted vocabulary with "", token, clause row and tf of every pair, clause lengths) of the clauses of
    some documents' ``lexical.TokenCounts`` in order, one vocabulary for all."""
    vocab_list = sorted(set().union(*(p.vocab.tolist() for p in parts)) | {""})
    vocab = {t: i for i, t in enumerate(vocab_list)}
    n_docs = sum(len(p) for p in parts)
    pairs = sum(len(p.tok) for p in parts)
    tok = np.empty(pairs, dtype=np.int32)
    row = np.empty(pairs, dtype=np.int32)
    tf = np.empty(pairs, dtype=np.int64)
    lengths = np.empty(n_docs, dtype=np.int64)
    at = first = 0
    for p in parts:
        m, k = len(p.tok), len(p)
        remap = np.fromiter((vocab[t] for t in p.vocab.tolist()), np.int32, len(p.vocab))
        tok[at : at + m] = remap[p.tok]
        row[at : at + m] = np.repeat(np.arange(first, first + k, dtype=np.int32), np.diff(p.ptr))
        tf[at : at + m] = p.tf
        lengths[first : first + k] = p.lengths
        at, first = at + m, first + k
    return vocab_list, tok, row, tf, lengths


def idf_of(n_docs: int, df: int) -> np.float64:
    """bm25s's 'lucene' IDF, a Python float stored as float32 (then widened, as bm25s's score uses it)."""
    return np.float64(np.float32(math.log(1 + (n_docs - df + 0.5) / (df + 0.5))))


def length_norms(lengths: np.ndarray, avg: np.float64) -> np.ndarray:
    """k1 · (1 − b + b · len / avg) per clause in float64, written as ``bm25_arrays`` writes it."""
    return K1 * ((1 - B) + B * np.asarray(lengths).astype(np.float64) / avg)


class Postings:
    """One segment's raw term frequencies (CSC by token, clause rows local to the segment) and lengths."""

    __slots__ = ("vocab", "indices", "indptr", "tf", "lengths")

    def __init__(self, vocab: dict[str, int], indices, indptr, tf, lengths):
        self.vocab, self.indices, self.indptr, self.tf, self.lengths = vocab, indices, indptr, tf, lengths

    @classmethod
    def from_counts(cls, parts) -> Postings:
        vocab_list, tok, row, tf, lengths = merged_pairs(parts)
        order = np.argsort(tok, kind="stable")  # by token, rows ascending within a token (CSC)
        indptr = np.zeros(len(vocab_list) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tok, minlength=len(vocab_list)), out=indptr[1:])
        tf_type = np.uint16 if not len(tf) or int(tf.max()) <= np.iinfo(np.uint16).max else np.int32
        return cls({t: i for i, t in enumerate(vocab_list)}, row[order], indptr, tf[order].astype(tf_type), lengths.astype(np.int32))

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    def df(self, token: str) -> int:
        i = self.vocab.get(token)
        return 0 if i is None else int(self.indptr[i + 1] - self.indptr[i])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, file in FILES.items():
            np.save(folder / file, getattr(self, name), allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        params = {"k1": K1, "b": B, "method": "lucene", "idf_method": "lucene", "scoring": "query-time",
                  "num_docs": self.n_docs}
        (folder / "params.index.json").write_text(json.dumps(params, indent=4), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-mapped: a query reads only its own tokens' columns (and the lengths of their clauses)."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if (params.get("k1"), params.get("b"), params.get("scoring")) != (K1, B, "query-time"):
            raise ValueError(f"BM25 parameters {params} are not the ones this version scores with")
        arrays = {name: np.load(folder / file, mmap_mode="r", allow_pickle=False) for name, file in FILES.items()}
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        out = cls(vocab, **arrays)
        if (len(out.indptr) != len(vocab) + 1 or int(out.indptr[-1]) != len(out.indices)
                or len(out.indices) != len(out.tf) or len(out.lengths) != int(params.get("num_docs", -1))):
            raise ValueError(f"the BM25 postings in {folder} are inconsistent")
        return out

    @staticmethod
    def exists(folder: Path) -> bool:
        return (folder / FILES["tf"]).is_file()


class Bm25Postings:
    """The BM25 scorer of an index of one or more segments (their clauses in order, one row space)."""

    def __init__(self, segments: Sequence[Postings]):
        self.segments = tuple(segments)
        self.n_docs = sum(s.n_docs for s in self.segments)
        self.offsets = np.cumsum([0] + [s.n_docs for s in self.segments])[:-1].tolist()
        total = sum(int(np.asarray(s.lengths, dtype=np.int64).sum()) for s in self.segments)
        avg = np.float64(total) / self.n_docs if self.n_docs else np.float64(0)  # = lengths.mean(): an exact sum
        self.norms = [length_norms(s.lengths, avg) for s in self.segments]

    def has(self, token: str) -> bool:
        return any(token in s.vocab for s in self.segments)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Each clause's BM25 score for the tokens (a repeated token counts again, as in bm25s): per token
        and segment, float64 terms cast to float32 and added in token order, as the precomputed matrix."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for t in tokens:
            df = sum(s.df(t) for s in self.segments)
            if not df:
                continue
            idf = idf_of(self.n_docs, df)
            for seg, offset, norm in zip(self.segments, self.offsets, self.norms, strict=True):
                i = seg.vocab.get(t)
                if i is None:
                    continue
                start, end = int(seg.indptr[i]), int(seg.indptr[i + 1])
                rows = np.asarray(seg.indices[start:end])
                tf = seg.tf[start:end].astype(np.float64)
                denom = norm[rows]
                denom += tf
                np.divide(tf, denom, out=tf)
                tf *= idf
                target = out[offset:] if offset else out
                target[rows] += tf.astype(np.float32)  # a clause once per token: no np.add.at needed
        return out

    def document_frequencies(self) -> dict[str, int]:
        """How many clauses each token occurs in, over every segment."""
        out: dict[str, int] = {}
        for seg in self.segments:
            counts = np.diff(np.asarray(seg.indptr)).tolist()
            for tok, i in seg.vocab.items():
                if tok and counts[i]:
                    out[tok] = out.get(tok, 0) + counts[i]
        return out
