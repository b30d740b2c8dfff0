"""The lexical side: Chinese-aware tokens over the search form, and a BM25 index (bm25s) on disk.

A default ``\\w+`` tokenizer would turn a whole Chinese clause into one token; plans need character
bigrams (robust to unseen terms) or jieba words (precise on plan vocabulary), or both. The splitter is
recorded in the manifest so queries are split the same way as the corpus.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import packs
from .textnorm import simplify

TOKENIZERS = ("bigram", "jieba", "jieba+bigram")
DEFAULT_TOKENIZER = "jieba+bigram"  # measured: see retrieval/eval/README.md

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+(?:\.[0-9]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Function words that carry no topic: dropped from jieba tokens (bigrams keep their own IDF weighting).
_STOP = frozenset("的 了 和 与 及 等 在 对 为 是 把 将 有 从 以 于 并 或 其 之 中 上 下 也 都 要 我 我们 怎么 如何 什么 哪些 吗 呢 啊".split())


def tokenize(text: str, method: str = DEFAULT_TOKENIZER) -> list[str]:
    """Tokens of the search form of ``text`` (NFKC, traditional→simplified, lower-case)."""
    simple = simplify(text)
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

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for term in packs.items("plan-terms.txt"):  # plan terms jieba's general dictionary splits badly
        tk.add_word(term, freq=200000)
    return tk


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


class LexicalIndex:
    """BM25 over token lists, saved as bm25s's numpy arrays and JSON (``allow_pickle=False``)."""

    def __init__(self, retriever, tokenizer: str, n_docs: int):
        self._retriever = retriever
        self.tokenizer = tokenizer
        self.n_docs = n_docs

    @classmethod
    def build(cls, texts: Sequence[str], tokenizer: str = DEFAULT_TOKENIZER) -> LexicalIndex:
        import bm25s
        from bm25s.tokenization import Tokenized

        token_lists = [tokenize(t, tokenizer) for t in texts]
        # A sorted vocabulary makes the files on disk the same for the same corpus (bm25s uses set order).
        vocab = {tok: i for i, tok in enumerate(sorted({t for toks in token_lists for t in toks} | {""}))}
        ids = [[vocab[t] for t in toks] or [vocab[""]] for toks in token_lists]
        retriever = bm25s.BM25()
        retriever.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
        return cls(retriever, tokenizer, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (0 where nothing matches)."""
        tokens = [t for t in tokenize(query, self.tokenizer) if t in self._retriever.vocab_dict]
        if not tokens or self.n_docs == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def document_frequencies(self) -> dict[str, int]:
        """How many documents each token occurs in (read off the BM25 matrix: one column per token)."""
        indptr = np.asarray(self._retriever.scores["indptr"])
        counts = np.diff(indptr)
        return {tok: int(counts[i]) for tok, i in self._retriever.vocab_dict.items() if tok and i < len(counts)}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(folder), allow_pickle=False, show_progress=False)
        (folder / "lexical.json").write_text(
            json.dumps({"tokenizer": self.tokenizer, "n_docs": self.n_docs}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False, verbosity=0)
        return cls(retriever, meta["tokenizer"], int(meta["n_docs"]))
