"""The lexical side: Chinese-aware tokens over the search form, and a BM25 index (bm25s) on disk.

A default ``\\w+`` tokenizer would turn a whole Chinese clause into one token; plans need character
bigrams (robust to unseen terms) or jieba words (precise on plan vocabulary), or both. The splitter is
recorded in the manifest so queries are split the same way as the corpus.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import packs
from .postings import K1, B, Bm25Postings, Postings, idf_of, length_norms, merged_pairs
from .textnorm import _ASCII_LOWER, _nfkc_char, _t2s_with_map, search_form
from .topk import Column, top_k

TOKENIZERS = ("bigram", "jieba", "jieba+bigram")
DEFAULT_TOKENIZER = "jieba+bigram"  # measured: see retrieval/eval/README.md

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+(?:\.[0-9]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Function words that carry no topic: dropped from jieba tokens (bigrams keep their own IDF weighting).
_STOP = frozenset("的 了 和 与 及 等 在 对 为 是 把 将 有 从 以 于 并 或 其 之 中 上 下 也 都 要 我 我们 怎么 如何 什么 哪些 吗 呢 啊".split())


_NFKC: dict[int, str] = {}  # code point -> its NFKC form, filled as characters are met
_PLAIN: set[str] = set()  # characters met that are not combining marks (their NFKC is in _NFKC)


def search_text(text: str) -> str:
    """``search_form(text).text`` without the offset maps, ~10x faster: with no combining mark in the
    text, NFKC by clusters is NFKC character by character, which ``str.translate`` does in C. A text with
    combining marks takes ``search_form`` itself."""
    new = set(text) - _PLAIN
    if new:
        if any(unicodedata.combining(ch) for ch in new):
            return search_form(text).text
        for ch in new:
            _NFKC[ord(ch)] = _nfkc_char(ch)
        _PLAIN.update(new)
    return _t2s_with_map(text.translate(_NFKC))[0].translate(_ASCII_LOWER)


def tokenize(text: str, method: str = DEFAULT_TOKENIZER) -> list[str]:
    """Tokens of the search form of ``text`` (NFKC, traditional→simplified, lower-case)."""
    simple = search_text(text)
    if method == "bigram":
        return _bigrams(simple)
    if method == "jieba":
        return _jieba(simple)
    if method == "jieba+bigram":
        return _jieba(simple) + _bigrams(simple)
    raise ValueError(f"unknown tokenizer {method!r} (choose from {', '.join(TOKENIZERS)})")


def _bigrams(simple: str) -> list[str]:
    out: list[str] = []
    for run in _RUNS.findall(simple):
        if _CJK.match(run):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


@functools.lru_cache(maxsize=1)
def _jieba_tokenizer():
    import logging

    import jieba

    from .jieba_dict import fast_tokenizer

    jieba.setLogLevel(logging.WARNING)
    tk = fast_tokenizer()  # jieba's own segmentation, answering before its 500k-word dict is built
    for term in packs.items("plan-terms.txt"):  # plan terms jieba's general dictionary splits badly
        tk.add_word(term, freq=200000)
    return tk


def complete_dictionary() -> None:
    """Build jieba's dictionary as a plain dict now (0.5–1 s of a core, in steps): until then each word is
    looked up in sorted arrays, the same answers, a few µs slower each. The app's warm-up calls this once
    the first pages are served; a bulk job's tokenizer does it by itself."""
    _jieba_tokenizer().complete()


def _jieba(simple: str) -> list[str]:
    tk = _jieba_tokenizer()
    out = []
    for run in _RUNS.findall(simple):
        if _CJK.match(run):
            out.extend(w for w in tk.lcut(run, HMM=False) if w not in _STOP)
        else:
            out.append(run)
    return out


def word_spans(simple: str) -> list[tuple[int, int]]:
    """Spans of the words of a search-form text, as jieba's search mode sees them: every word and the
    shorter words inside a long one (高价值发明专利 also yields 发明专利, 专利), and each ASCII run
    whole. Highlighting marks whole words from these, never part of one."""
    tk = _jieba_tokenizer()
    out: list[tuple[int, int]] = []
    for m in _RUNS.finditer(simple):
        if _CJK.match(m.group()):
            out.extend((m.start() + s, m.start() + e) for _, s, e in tk.tokenize(m.group(), mode="search", HMM=False))
        else:
            out.append(m.span())
    return out


class Bm25Matrix:
    """bm25s's precomputed score matrix, read and written without bm25s: ``scores`` holds ``data``,
    ``indices`` and ``indptr`` (CSC, one column per token) and ``num_docs``; ``vocab_dict`` maps a token
    to its column. Saved as bm25s saves it (the same ``.npy`` and JSON files, ``allow_pickle=False``), so
    either can read the other's; loading it imports neither bm25s nor scipy (1.4 s of a searcher's start)."""

    __slots__ = ("scores", "vocab_dict", "_bounds")

    FILES = {"data": "data.csc.index.npy", "indices": "indices.csc.index.npy", "indptr": "indptr.csc.index.npy"}

    def __init__(self, scores: dict, vocab: dict[str, int]):
        self.scores = scores
        self.vocab_dict = vocab
        self._bounds: dict[int, float] = {}  # a column's largest score, found when first asked

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Each document's BM25 score for the tokens (a repeated token counts again, as in bm25s)."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        out = np.zeros(int(self.scores["num_docs"]), dtype=np.float32)
        for t in tokens:
            i = self.vocab_dict[t]
            start, end = int(indptr[i]), int(indptr[i + 1])
            np.add.at(out, indices[start:end], data[start:end])
        return out

    def top(
        self, tokens: list[str], mask: np.ndarray, k: int, weights: list[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best of ``get_scores(tokens)`` among ``mask`` rows, best first, ties by row (``topk``)."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        columns: dict[str, list[Column]] = {}
        for t in dict.fromkeys(tokens):
            i = self.vocab_dict[t]
            start, end = int(indptr[i]), int(indptr[i + 1])
            bound = self._bounds.get(i)
            if bound is None:
                bound = self._bounds[i] = float(np.max(data[start:end])) if end > start else 0.0
            columns[t] = [Column(0, indices[start:end], data[start:end], bound)]
        return top_k([columns[t] for t in tokens], int(self.scores["num_docs"]), mask, k, weights)

    def has(self, token: str) -> bool:
        return token in self.vocab_dict

    def document_frequencies(self) -> dict[str, int]:
        """How many documents each token occurs in (one column per token)."""
        counts = np.diff(np.asarray(self.scores["indptr"]))
        return {tok: int(counts[i]) for tok, i in self.vocab_dict.items() if tok and i < len(counts)}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, file in self.FILES.items():
            np.save(folder / file, self.scores[name], allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self.vocab_dict, ensure_ascii=False), encoding="utf-8")
        params = {**{k: v for k, v in _BM25_PARAMS.items() if k != "backend"}, "num_docs": int(self.scores["num_docs"]),
                  "version": "0.3.16", "backend": "numpy"}
        (folder / "params.index.json").write_text(json.dumps(params, indent=4), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Bm25Matrix:
        """Memory-mapped: the score matrix is the largest part of an index (~8 bytes per distinct token of
        every clause, ~1 GB at a million clauses) and a query reads only its own tokens' columns."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") != "lucene" or (params.get("k1"), params.get("b")) != (K1, B):
            raise ValueError(f"BM25 parameters {params} are not the ones this version scores with")
        scores: dict = {name: np.load(folder / file, mmap_mode="r", allow_pickle=False)
                        for name, file in cls.FILES.items()}
        scores["num_docs"] = int(params["num_docs"])
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        return cls(scores, vocab)


class LexicalIndex:
    """BM25 over token lists. Built now: one ``Postings`` per segment of the index (raw term frequencies
    and their scores for the whole corpus, ``postings``); an index of format 2 keeps bm25s's precomputed
    matrix alone (``Bm25Matrix``), read and scored as before. Either way saved with ``allow_pickle=False``.
    A ``Postings`` as the scorer is one segment of a larger index, for saving only."""

    def __init__(self, scorer: Bm25Matrix | Bm25Postings | Postings, tokenizer: str, n_docs: int):
        self._bm25 = scorer
        self.tokenizer = tokenizer
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: str = DEFAULT_TOKENIZER) -> LexicalIndex:
        return cls.from_counts([TokenCounts.of(texts, tokenizer)], tokenizer)

    @classmethod
    def from_counts(cls, parts: Sequence[TokenCounts], tokenizer: str = DEFAULT_TOKENIZER) -> LexicalIndex:
        """BM25 over the clauses of some documents' token counts, in their order (one segment)."""
        postings = Postings.from_counts(parts).scored()
        return cls(Bm25Postings([postings]), tokenizer, postings.n_docs)

    def arrange(self, live: np.ndarray) -> None:
        """Rows as the loaded index has them (``segments.join_parts``): its row i is row ``live[i]`` of the
        postings (the dead rows are in none)."""
        if not isinstance(self._bm25, Bm25Postings):
            raise ValueError("a precomputed BM25 matrix cannot have tombstones")
        self._bm25.arrange(live)
        self.n_docs = self._bm25.n_docs

    @property
    def segments(self) -> tuple[Postings, ...]:
        """The postings of each segment (none for a precomputed matrix)."""
        return self._bm25.segments if isinstance(self._bm25, Bm25Postings) else ()

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (0 where nothing matches)."""
        return self.token_scores(self.tokens(query))

    def token_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for query tokens (``tokens`` of a query, or a chosen part of them:
        a clause's most telling ones, ``retrieval.ranking.salient_tokens``)."""
        if not tokens or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return self._bm25.get_scores(tokens)

    def top(
        self, tokens: list[str], mask: np.ndarray, k: int, weights: list[float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the k best positive ``token_scores(tokens)`` among ``mask`` rows, best first,
        ties by row, without scoring every clause (``indexer.topk``): the same rows and scores, bit for bit.
        ``weights``: one per token, each token's scores times it (a repeated token asked once, weighted
        by its count, reads its postings once: the same sum up to float32 rounding)."""
        if not tokens or self.n_docs == 0 or k < 1:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._bm25.top(tokens, mask, k, weights)

    def tokens(self, query: str) -> list[str]:
        """The query's tokens that some document holds, in order, a repeated one again (as ``scores`` adds them)."""
        return [t for t in tokenize(query, self.tokenizer) if self._bm25.has(t)]

    def has(self, token: str) -> bool:
        """Whether some document holds the token."""
        return self._bm25.has(token)

    def document_frequencies(self) -> dict[str, int]:
        """How many documents each token occurs in."""
        return self._bm25.document_frequencies()

    def save(self, folder: Path) -> None:
        if isinstance(self._bm25, Postings):
            self._bm25.save(folder)
        elif isinstance(self._bm25, Bm25Postings):
            if len(self._bm25.segments) != 1:
                raise ValueError("a lexical index of several segments is saved segment by segment")
            self._bm25.segments[0].save(folder)
        else:
            self._bm25.save(folder)
        (folder / "lexical.json").write_text(
            json.dumps({"tokenizer": self.tokenizer, "n_docs": self.n_docs}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path, *more: Path, dead: Sequence[np.ndarray] | None = None) -> LexicalIndex:
        """The lexical index in ``folder`` and, for an index of several segments, those of the others;
        ``dead``: per segment, the rows its tombstones leave out (``store.dead_parts``)."""
        meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        if not Postings.exists(folder):
            if more or dead is not None:
                raise ValueError("a precomputed BM25 matrix cannot have segments")
            return cls(Bm25Matrix.load(folder), meta["tokenizer"], int(meta["n_docs"]))
        postings = [Postings.load(f) for f in (folder, *more)]
        if dead is not None:
            postings = [p.without(d) for p, d in zip(postings, dead, strict=True)]
        scorer = Bm25Postings(postings)
        for f in more:
            if json.loads((f / "lexical.json").read_text(encoding="utf-8"))["tokenizer"] != meta["tokenizer"]:
                raise ValueError(f"the segment at {f} was tokenized otherwise")
        return cls(scorer, meta["tokenizer"], scorer.n_docs)


# --- token counts per document, cached, and BM25 arrays merged from them --------------------------------

_BM25_PARAMS = {"k1": K1, "b": B, "delta": 0.5, "method": "lucene", "idf_method": "lucene", "dtype": "float32",
                "int_dtype": "int32", "backend": "numpy"}


class TokenCounts:
    """The token counts of the lexical texts of one document's clauses, in a vocabulary of its own: what
    BM25 needs of them, so that adding a plan to a large index tokenizes that plan only.

    ``vocab`` sorted distinct tokens; clause j has ``lengths[j]`` tokens, and its distinct tokens are
    ``tok[ptr[j]:ptr[j + 1]]`` (ids into ``vocab``) with counts ``tf[...]``. Saved as one ``.npz`` of plain
    arrays (no pickle)."""

    __slots__ = ("vocab", "lengths", "ptr", "tok", "tf")

    def __init__(self, vocab: np.ndarray, lengths: np.ndarray, ptr: np.ndarray, tok: np.ndarray, tf: np.ndarray):
        self.vocab, self.lengths, self.ptr, self.tok, self.tf = vocab, lengths, ptr, tok, tf

    @classmethod
    def of(cls, texts: Sequence[str], tokenizer: str = DEFAULT_TOKENIZER) -> TokenCounts:
        counters = []
        for text in texts:
            tokens = tokenize(text, tokenizer) or [""]  # an empty text is one empty token, as bm25s indexes it
            counters.append((len(tokens), Counter(tokens)))
        vocab = sorted({t for _, c in counters for t in c})
        local = {t: i for i, t in enumerate(vocab)}
        lengths = np.array([n for n, _ in counters], dtype=np.int64)
        sizes = np.array([len(c) for _, c in counters], dtype=np.int64)
        ptr = np.zeros(len(counters) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        tok = np.fromiter((local[t] for _, c in counters for t in c), np.int32, int(ptr[-1]))
        tf = np.fromiter((n for _, c in counters for n in c.values()), np.int32, int(ptr[-1]))
        return cls(np.array(vocab, dtype=str), lengths, ptr, tok, tf)

    def __len__(self) -> int:
        return len(self.lengths)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, vocab=self.vocab, lengths=self.lengths, ptr=self.ptr, tok=self.tok, tf=self.tf)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> TokenCounts:
        with np.load(path, allow_pickle=False) as z:
            counts = cls(z["vocab"], z["lengths"], z["ptr"], z["tok"], z["tf"])
        n = len(counts.lengths)
        if (len(counts.ptr) != n + 1 or counts.ptr[-1] != len(counts.tok) or len(counts.tf) != len(counts.tok)
                or (len(counts.tok) and not 0 <= counts.tok.min() <= counts.tok.max() < len(counts.vocab))):
            raise ValueError(f"{path.name} is inconsistent")
        return counts


def counts_key(texts: Sequence[str], tokenizer: str) -> str:
    """What a document's cached token counts are filed under: its lexical texts, the tokenizer and the
    plan-terms pack jieba splits with (any change is another key, never a stale cache)."""
    digest = hashlib.sha256(f"{tokenizer}\0{packs.digests()['plan-terms.txt']}\0".encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0\1")
    return digest.hexdigest()


def bm25_arrays(parts: Sequence[TokenCounts]) -> tuple[dict[str, int], dict[str, np.ndarray], int]:
    """bm25s's CSC score matrix (data, indices, indptr) and vocabulary for the clauses of ``parts`` in
    order, computed over numpy arrays: the same numbers, bit for bit, as ``bm25s.BM25().index`` gives for
    the same token lists with a sorted vocabulary (tests/test_index.py), without a Python list per token.

    Scores depend on every document (IDF, average length), so a new plan changes all of them: builds now
    keep raw frequencies beside the scores (``postings``), so that they can be rescored in one pass when
    plans are added; this is the matrix of indexes of format 2, and the reference the postings are tested
    against."""
    vocab_list, tok, row, tf, lengths = merged_pairs(parts)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    n_vocab, n_docs, pairs = len(vocab_list), len(lengths), len(tok)
    df = np.bincount(tok, minlength=n_vocab)
    # bm25s: idf as Python floats stored as float32; tfc with the doc length over the mean length in float64
    idf = np.zeros(n_vocab, dtype=np.float64)
    for i in np.flatnonzero(df).tolist():
        idf[i] = idf_of(n_docs, int(df[i]))
    avg = lengths.mean() if n_docs else np.float64(0)
    data = np.empty(pairs, dtype=np.float32)
    step = 1 << 22  # in blocks: float64 temporaries of 10^8 pairs would be gigabytes
    for s in range(0, pairs, step):
        e = min(pairs, s + step)
        t = tf[s:e].astype(np.float64)
        denom = length_norms(lengths[row[s:e]], avg) + t
        data[s:e] = idf[tok[s:e]] * (t / denom)
    order = np.argsort(tok, kind="stable")  # by token, rows ascending within a token (CSC)
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return vocab, {"data": data[order], "indices": row[order], "indptr": indptr}, n_docs
