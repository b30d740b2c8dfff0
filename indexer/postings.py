"""BM25 over an index of one or more segments, exact: raw term frequencies kept, scores precomputed.

A BM25 score bakes in corpus-wide numbers — the IDF of the token over all clauses and the mean clause
length — so adding one plan changes every score of the index. Each segment therefore keeps what does not
change when others are added: per (token, clause) the raw term frequency, per clause its length (CSC by
token, clause rows local to the segment). From them every segment's scores are computed for the corpus as
it is now,

    idf(t) · tf / (tf + k1 · (1 − b + b · len / avg))      idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))

with N, df and avg summed over every segment, in the same arithmetic, step for step and in the same float
types, as bm25s's 'lucene' method (``lexical.bm25_arrays``): one linear pass over the postings, no sort
(``Postings.scored``). A query adds the precomputed scores of its tokens' columns, as a precomputed bm25s
matrix is scored, so an index of several segments scores each clause exactly — bit for bit — as one
built from scratch over the same clauses, and as fast. Adding a plan rescores the existing segments'
columns (a pass over their arrays: seconds at 10^6 clauses) instead of merging every plan's token counts
again (a sort of every pair).

On disk (``lexical/`` of a segment, ``allow_pickle=False``): ``indices.csc.index.npy`` (clause of each pair),
``indptr.csc.index.npy``, ``tf.csc.index.npy`` (uint16, int32 past 65535), ``data.csc.index.npy`` (the
scores, float32), ``lengths.index.npy`` (tokens per clause), ``vocab.index.json`` (token -> column) and
``params.index.json`` (k1, b, and the corpus the scores are for: clauses and tokens of all segments,
checked when the index is loaded).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .rowtable import positions
from .topk import Column, full_sum, top_k

K1, B = 1.5, 0.75  # bm25s's defaults (method 'lucene'), which every index so far was built with
FILES = {"indices": "indices.csc.index.npy", "indptr": "indptr.csc.index.npy", "tf": "tf.csc.index.npy",
         "lengths": "lengths.index.npy", "data": "data.csc.index.npy"}
SCORES = FILES["data"]


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
    """k1 · (1 − b + b · len / avg) per clause in float64, written as ``bm25_arrays`` writes it. A corpus
    of no tokens (every plan removed: only dead rows left, never scored) divides by 1 instead of 0."""
    return K1 * ((1 - B) + B * np.asarray(lengths).astype(np.float64) / (avg if avg else np.float64(1)))


def mean_length(n_docs: int, length: int) -> np.float64:
    """The mean clause length as ``lengths.mean()`` gives it (an exact integer sum over the count)."""
    return np.float64(length) / n_docs if n_docs else np.float64(0)


class Postings:
    """One segment's raw term frequencies (CSC by token, clause rows local to the segment), clause
    lengths, and ``data``: its scores for the corpus named by ``corpus`` = (clauses, tokens) of all."""

    __slots__ = ("vocab", "indices", "indptr", "tf", "lengths", "data", "corpus", "length", "_bounds", "dead",
                 "_live")

    def __init__(self, vocab: dict[str, int], indices, indptr, tf, lengths, data=None, corpus=(0, 0), length=None,
                 dead: np.ndarray | None = None):
        self.vocab, self.indices, self.indptr, self.tf, self.lengths = vocab, indices, indptr, tf, lengths
        self.data, self.corpus = data, tuple(corpus)
        self.length = int(np.asarray(lengths, dtype=np.int64).sum()) if length is None else int(length)
        self._bounds: np.ndarray | None = None  # each column's largest score, found when first asked
        # rows whose documents are tombstoned (ascending, local): still in the arrays, left out of the
        # corpus statistics and never returned (``Bm25Postings``)
        self.dead = None if dead is None or not len(dead) else np.asarray(dead, dtype=np.int64)
        self._live: tuple | None = None

    def without(self, dead: np.ndarray | None) -> Postings:
        """These postings (the same arrays) with the rows ``dead`` left out of the corpus."""
        return Postings(self.vocab, self.indices, self.indptr, self.tf, self.lengths, self.data, self.corpus,
                        self.length, dead)

    def live(self) -> tuple[np.ndarray, int, int]:
        """(each column's document frequency, clauses, tokens) over the live rows: the tombstoned rows'
        postings found in one pass over the clause column (in blocks), their lengths subtracted."""
        if self._live is None:
            counts = np.diff(np.asarray(self.indptr)).astype(np.int64)
            if self.dead is None:
                self._live = (counts, self.n_docs, self.length)
            else:
                is_dead = np.zeros(self.n_docs, dtype=bool)
                is_dead[self.dead] = True
                indptr, pairs, step = np.asarray(self.indptr), len(self.indices), 1 << 22
                for s in range(0, pairs, step):
                    hits = np.flatnonzero(is_dead[np.asarray(self.indices[s : s + step])]) + s
                    if len(hits):
                        counts -= np.bincount(np.searchsorted(indptr, hits, side="right") - 1, minlength=len(counts))
                self._live = (counts, self.n_docs - len(self.dead),
                              self.length - int(np.asarray(self.lengths)[self.dead].astype(np.int64).sum()))
        return self._live

    @classmethod
    def from_counts(cls, parts) -> Postings:
        """The postings of the clauses of some documents' token counts, in order (not scored yet)."""
        vocab_list, tok, row, tf, lengths = merged_pairs(parts)
        order = np.argsort(tok, kind="stable")  # by token, rows ascending within a token (CSC)
        indptr = np.zeros(len(vocab_list) + 1, dtype=np.int64)
        np.cumsum(np.bincount(tok, minlength=len(vocab_list)), out=indptr[1:])
        tf_type = np.uint16 if not len(tf) or int(tf.max()) <= np.iinfo(np.uint16).max else np.int32
        return cls({t: i for i, t in enumerate(vocab_list)}, row[order], indptr, tf[order].astype(tf_type),
                   lengths.astype(np.int32))

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    def bound(self, column: int) -> float:
        """The largest score of a column (read once, then remembered: a top-k query prunes with it)."""
        if self._bounds is None:
            self._bounds = np.full(len(self.indptr) - 1, np.nan, dtype=np.float32)
        value = self._bounds[column]
        if np.isnan(value):
            start, end = int(self.indptr[column]), int(self.indptr[column + 1])
            value = self._bounds[column] = np.max(self.data[start:end]) if end > start else 0.0
        return float(value)

    def df(self, token: str) -> int:
        i = self.vocab.get(token)
        return 0 if i is None else int(self.live()[0][i])

    def column_df(self, others: Sequence[Postings]) -> np.ndarray:
        """Each column's document frequency over the live rows of this segment and ``others`` (the smaller
        vocabulary of each pair is walked)."""
        df = self.live()[0].copy()
        for o in others:
            counts = o.live()[0]
            if len(o.vocab) <= len(self.vocab):
                for t, j in o.vocab.items():
                    i = self.vocab.get(t)
                    if i is not None:
                        df[i] += int(counts[j])
            else:
                for t, i in self.vocab.items():
                    df[i] += o.df(t)
        return df

    def scored(self, others: Sequence[Postings] = (), out: Path | None = None) -> Postings:
        """These postings with their scores for the corpus of the live rows of this segment and ``others``:
        the arithmetic of ``lexical.bm25_arrays``, in blocks (float64 temporaries of 10^8 pairs would be
        gigabytes). ``out``: the scores are written there as a ``.npy`` file, block by block (never all in
        memory). Dead rows are scored too (with the same statistics), never returned."""
        n_docs = self.live()[1] + sum(o.live()[1] for o in others)
        length = self.live()[2] + sum(o.live()[2] for o in others)
        df = self.column_df(others)
        idf = np.zeros(len(df), dtype=np.float64)
        values, inverse = np.unique(df, return_inverse=True)
        idf[:] = np.array([idf_of(n_docs, int(d)) if d else 0.0 for d in values.tolist()], dtype=np.float64)[inverse]
        norm = length_norms(self.lengths, mean_length(n_docs, length))
        indptr = np.asarray(self.indptr)
        pairs = int(indptr[-1])
        if out is None:
            data = np.empty(pairs, dtype=np.float32)
        else:
            data = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=(pairs,))
        step = 1 << 22
        for s in range(0, pairs, step):
            e = min(pairs, s + step)
            first = int(np.searchsorted(indptr, s, side="right")) - 1
            last = int(np.searchsorted(indptr, e, side="left"))
            counts = np.minimum(indptr[first + 1 : last + 1], e) - np.maximum(indptr[first:last], s)
            t = np.asarray(self.tf[s:e]).astype(np.float64)
            denom = norm[np.asarray(self.indices[s:e])] + t
            data[s:e] = np.repeat(idf[first:last], counts) * (t / denom)
        if out is not None:
            data.flush()
        return Postings(self.vocab, self.indices, self.indptr, self.tf, self.lengths, data, (n_docs, length),
                        self.length, self.dead)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, file in FILES.items():
            np.save(folder / file, getattr(self, name), allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        self.save_params(folder)

    def save_params(self, folder: Path) -> None:
        params = {"k1": K1, "b": B, "method": "lucene", "idf_method": "lucene", "num_docs": self.n_docs,
                  "length": self.length, "corpus_docs": self.corpus[0], "corpus_length": self.corpus[1]}
        (folder / "params.index.json").write_text(json.dumps(params, indent=4), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Memory-mapped: a query reads only its own tokens' columns."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if (params.get("k1"), params.get("b")) != (K1, B):
            raise ValueError(f"BM25 parameters {params} are not the ones this version scores with")
        arrays = {name: np.load(folder / file, mmap_mode="r", allow_pickle=False) for name, file in FILES.items()}
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        out = cls(vocab, **arrays, corpus=(int(params["corpus_docs"]), int(params["corpus_length"])),
                  length=int(params["length"]))
        pairs = len(out.indices)
        if (len(out.indptr) != len(vocab) + 1 or int(out.indptr[-1]) != pairs or len(out.tf) != pairs
                or len(out.data) != pairs or len(out.lengths) != int(params["num_docs"])):
            raise ValueError(f"the BM25 postings in {folder} are inconsistent")
        return out

    def rescore(self, folder: Path, others: Sequence[Postings]) -> Postings:
        """Write into ``folder`` (a segment's ``lexical/`` in a staging folder, whose files may be hard
        links to the live index's: they are unlinked, never written through) this segment's scores for
        the corpus of it and ``others``, and its parameters."""
        for name in (SCORES, "params.index.json"):
            (folder / name).unlink(missing_ok=True)
        scored = self.scored(others, out=folder / SCORES)
        scored.save_params(folder)
        return scored

    @staticmethod
    def exists(folder: Path) -> bool:
        return (folder / FILES["tf"]).is_file()


class Bm25Postings:
    """The BM25 scorer of an index of one or more segments (their clauses in order, one row space). With
    tombstones (segments' ``dead`` rows) the rows are the live ones only: the postings keep the dead rows,
    which are masked out of every ranking and left out of the scores returned."""

    def __init__(self, segments: Sequence[Postings]):
        self.segments = tuple(segments)
        self.n_rows = sum(s.n_docs for s in self.segments)  # rows in the postings, dead ones included
        self.offsets = np.cumsum([0] + [s.n_docs for s in self.segments])[:-1].tolist()
        dead = [s.dead + off for s, off in zip(self.segments, self.offsets, strict=True) if s.dead is not None]
        self.live: np.ndarray | None = None  # the postings' row of each live row (None: all are live)
        self.to_live: np.ndarray | None = None
        if dead:
            alive = np.ones(self.n_rows, dtype=bool)
            alive[np.concatenate(dead)] = False
            self.live = np.flatnonzero(alive)
            self.to_live = np.cumsum(alive) - 1
        self.n_docs = self.n_rows if self.live is None else len(self.live)
        self.moved = False  # whether live rows are in another order than the postings' (``arrange``)
        corpus = (self.n_docs, sum(s.live()[2] for s in self.segments))
        if any(s.corpus != corpus or s.data is None for s in self.segments):
            raise ValueError(f"BM25 scores computed for another corpus than its {corpus[0]} clauses; rebuild the index")

    def arrange(self, live: np.ndarray) -> None:
        """The live rows in the order of the loaded index (a changed plan's new rows in its old place:
        ``segments.join_parts``): row i is the postings' row ``live[i]``; the same rows as the tombstones
        leave (ValueError otherwise; tombstones of documents without clauses leave none: every row is live)."""
        live = np.asarray(live, dtype=np.int64)
        current = np.arange(self.n_rows) if self.live is None else self.live
        if len(live) != len(current) or not np.array_equal(np.sort(live), current):
            raise ValueError("the live rows of the clauses and of the BM25 postings differ")
        self.live = live
        self.to_live = positions(live, self.n_rows)
        self.moved = bool(len(live) > 1 and (np.diff(live) < 0).any())

    def has(self, token: str) -> bool:
        """Whether a live clause holds the token (a token only tombstoned rows hold is in no clause)."""
        for s in self.segments:
            i = s.vocab.get(token)
            if i is not None and (s.dead is None or s.live()[0][i]):
                return True
        return False

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Each clause's BM25 score for the tokens (a repeated token counts again, as in bm25s), added in
        token order as bm25s's precomputed matrix is scored."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        for t in tokens:
            for seg, offset in zip(self.segments, self.offsets, strict=True):
                i = seg.vocab.get(t)
                if i is None:
                    continue
                start, end = int(seg.indptr[i]), int(seg.indptr[i + 1])
                np.add.at(out[offset:] if offset else out, seg.indices[start:end], seg.data[start:end])
        return out if self.live is None else out[self.live]

    def top(
        self, tokens: list[str], mask: np.ndarray, k: int, weights: list[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows and scores of the k best positive scores among ``mask`` rows, best first, ties by row:
        those of ranking ``get_scores(tokens)``, bit for bit, without summing every posting (``topk``);
        ``weights``: each token's score times its weight (``topk.full_sum``)."""
        columns: dict[str, list[Column]] = {}
        for t in dict.fromkeys(tokens):
            columns[t] = []
            for seg, offset in zip(self.segments, self.offsets, strict=True):
                i = seg.vocab.get(t)
                if i is not None:
                    start, end = int(seg.indptr[i]), int(seg.indptr[i + 1])
                    columns[t].append(Column(offset, seg.indices[start:end], seg.data[start:end], seg.bound(i)))
        if self.live is None:
            return top_k([columns[t] for t in tokens], self.n_docs, mask, k, weights)
        rows_mask = np.zeros(self.n_rows, dtype=bool)
        rows_mask[self.live] = mask
        query = [columns[t] for t in tokens]
        if not self.moved:
            rows, scores = top_k(query, self.n_rows, rows_mask, k, weights)
            return self.to_live[rows], scores  # the same order: ties stay in row order
        # rows moved: ties rank by the index's rows, so when the k-th score ties with one past it (the
        # postings' order may have cut the tie otherwise), every row scoring as much is ranked (full sums:
        # the same float32 scores as top_k's)
        rows, scores = top_k(query, self.n_rows, rows_mask, k + 1, weights)
        if len(rows) == k + 1 and scores[k] == scores[k - 1]:
            full = full_sum(query, self.n_rows, weights)
            rows = np.flatnonzero(rows_mask & (full >= scores[k - 1]))
            scores = full[rows]
        live = self.to_live[rows]
        order = np.lexsort((live, -scores))[:k]
        return live[order], scores[order]

    def document_frequencies(self) -> dict[str, int]:
        """How many live clauses each token occurs in, over every segment."""
        out: dict[str, int] = {}
        for seg in self.segments:
            counts = seg.live()[0].tolist()
            for tok, i in seg.vocab.items():
                if tok and counts[i]:
                    out[tok] = out.get(tok, 0) + counts[i]
        return out
