"""Experiment, not shipped: learned term expansion for the lexical side (issue 10; retrieval/eval/README.md,
row "tried: learned term expansion").

The bundled multilingual embedder places a word near its translations and related words. The corpus's
lexical vocabulary (the jieba words of two or more Chinese characters that the clauses' lexical texts
hold) is embedded once into a ``TermTable``; at query time the question's content words are embedded and
the nearest corpus words above a cosine threshold are added to the BM25 query as weighted extra tokens
(``LexicalIndex.top(tokens, mask, k, weights)``). With ``prf`` > 0 the neighbours are sought only among
the words of the dense side's best ``prf`` clauses (dense pseudo-relevance feedback).

Nothing in ``retrieval/`` changes: ``ExpandingSearcher`` is a ``Searcher`` whose lexical index adds the
expansion to a question's tokens. The table is a cache next to the index (``<index>.terms/<key>/``, plain
``.npy`` + JSON, never pickle, keyed by the index's fingerprint, the prompt and the model; not in git).

    .venv/bin/python bench/expansion.py                       # the chosen variant vs off, dev + held-out
    .venv/bin/python bench/expansion.py --grid '[{"scope": "zh", "threshold": 0.93}, ...]'
    .venv/bin/python bench/expansion.py --timing              # build and query-time cost
    .venv/bin/python bench/expansion.py --set blind           # reporting only: never tune on it

Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.search import Searcher, _top  # noqa: E402

_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True, slots=True)
class Settings:
    """Which words are expanded, and how. ``scope``: 'off', 'en' (English questions), 'zh' or 'both'."""

    scope: str = "zh"
    threshold: float = 0.9  # cosine a corpus word needs to a question word
    per_word: int = 3  # nearest corpus words kept per question word (itself among them when the corpus has it)
    weight: float = 0.5  # of an added token, against 1 for each of the question's own
    prompt: str = "passage: "  # e5 prompt the words are embedded with ('query: ' was tried)
    zh_max_df: int = 1_000_000  # a Chinese word is expanded when at most this many clauses hold it (0: absent only)
    prf: int = 40  # > 0: neighbours only among the words of the dense side's best ``prf`` clauses
    trust: bool = False  # English: a word the expansion translated raises the lexical list's weight
    # Whether to answer is decided on the ranking without expansion (the abstention model was fitted on
    # it; expansion raises its dense/lexical agreement signal by construction). Not the chosen variant.
    abstain_plain: bool = False


CHOSEN = Settings()  # chosen on development (README row); held-out checked; blind run once


@dataclass(frozen=True, slots=True)
class TermTable:
    """The corpus's words (row i of ``vectors`` is word i), how many clauses hold each, and each clause's
    words as a CSR (``ptr``, ``ids``) for the pseudo-relevance-feedback variant."""

    words: tuple[str, ...]
    df: np.ndarray
    vectors: np.ndarray
    ptr: np.ndarray
    ids: np.ndarray
    prompt: str

    def lookup(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    def words_of(self, rows: Sequence[int]) -> np.ndarray:
        mask = np.zeros(len(self.words), dtype=bool)
        for r in rows:
            mask[self.ids[self.ptr[r] : self.ptr[r + 1]]] = True
        return mask

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "vectors.npy", self.vectors.astype(np.float16), allow_pickle=False)
        np.save(folder / "ptr.npy", self.ptr, allow_pickle=False)
        np.save(folder / "ids.npy", self.ids, allow_pickle=False)
        meta = {"words": list(self.words), "df": self.df.tolist(), "prompt": self.prompt}
        (folder / "terms.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TermTable | None:
        if not all((folder / f).exists() for f in ("terms.json", "vectors.npy", "ptr.npy", "ids.npy")):
            return None
        meta = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        return cls(tuple(meta["words"]), np.asarray(meta["df"], dtype=np.int64),
                   np.load(folder / "vectors.npy", allow_pickle=False).astype(np.float32),
                   np.load(folder / "ptr.npy", allow_pickle=False), np.load(folder / "ids.npy", allow_pickle=False),
                   meta["prompt"])

    @classmethod
    def build(cls, texts: Sequence[str], embedder, prompt: str) -> tuple[TermTable, dict[str, float]]:
        """The table of some lexical texts, and the CPU seconds of its two steps."""
        from indexer.lexical import _jieba, search_text

        c0 = time.process_time()
        per_clause = [sorted({w for w in _jieba(search_text(t)) if _WORD.fullmatch(w)}) for t in texts]
        df = Counter(w for ws in per_clause for w in ws)
        words = tuple(sorted(df))
        at = {w: i for i, w in enumerate(words)}
        ptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(ws) for ws in per_clause], out=ptr[1:])
        ids = np.fromiter((at[w] for ws in per_clause for w in ws), np.int32, int(ptr[-1]))
        c1 = time.process_time()
        vectors = embed_words(embedder, [prompt + w for w in words])
        c2 = time.process_time()
        table = cls(words, np.array([df[w] for w in words], dtype=np.int64), vectors, ptr, ids, prompt)
        return table, {"words": len(words), "tokenize_cpu_s": c1 - c0, "embed_cpu_s": c2 - c1}


def cached_table(searcher: Searcher, prompt: str) -> TermTable:
    from indexer.build import texts_for_lexical

    folder = Path(searcher.index.folder)
    key = hashlib.sha256(f"{searcher.index.manifest.fingerprint}\0{prompt}\0{searcher.embedder.name}".encode())
    cache = folder.parent / f"{folder.name}.terms" / key.hexdigest()[:16]
    table = TermTable.load(cache)
    if table is None:
        table, cost = TermTable.build(texts_for_lexical(list(searcher.clauses)), searcher.embedder, prompt)
        print(f"term table: {cost}", file=sys.stderr)
        table.save(cache)
        table = TermTable.load(cache)
    return table


def embed_words(embedder, texts: list[str]) -> np.ndarray:
    """Unit vectors of texts as given (the prompt already in them): the model's own encoder, which takes
    any prompt; an embedder without one (the tests' fake) embeds them as documents."""
    encode = getattr(embedder, "_encode", None)
    return np.asarray(encode(texts) if encode is not None else embedder.embed_documents(texts), dtype=np.float32)


class Expander:
    """A question's extra lexical tokens: its content words' nearest corpus words."""

    def __init__(self, table: TermTable, embedder, settings: Settings):
        self.table, self.embedder, self.settings = table, embedder, settings
        self.at = table.lookup()
        self._vectors: dict[str, np.ndarray] = {}  # word -> vector (a question is ranked several times)

    def words(self, pq) -> list[str]:
        from indexer.lexical import _jieba
        from retrieval.glossary import content_words, covered_words

        english = pq.lexical_trust is not None
        if english and self.settings.scope in ("en", "both"):
            covered = covered_words(pq.raw)
            words = [w[:-2] if w.endswith("'s") else w for w in content_words(pq.raw)]  # qinghai's → qinghai
            return list(dict.fromkeys(w for w in words if len(w) >= 3 and w not in covered))
        if not english and self.settings.scope in ("zh", "both"):
            out = []
            for w in _jieba(pq.content_text):
                i = self.at.get(w)
                if _WORD.fullmatch(w) and (i is None or self.table.df[i] <= self.settings.zh_max_df):
                    out.append(w)
            return list(dict.fromkeys(out))
        return []

    def vectors(self, words: list[str]) -> np.ndarray:
        for w in words:  # one at a time: the int8 graph's vectors depend on what shares a batch
            if w not in self._vectors:
                self._vectors[w] = embed_words(self.embedder, [self.table.prompt + w])[0]
        return np.array([self._vectors[w] for w in words])

    def expand(self, pq, among: np.ndarray | None) -> tuple[dict[str, list[str]], list[tuple[str, float]]]:
        """Each expanded word's neighbours, and the extra tokens with their weights (sorted by token)."""
        words = self.words(pq)
        if not words:
            return {}, []
        s = self.settings
        found: dict[str, list[str]] = {}
        for w, row in zip(words, self.vectors(words) @ self.table.vectors.T, strict=True):
            keep = row >= s.threshold if among is None else (row >= s.threshold) & among
            best = sorted(np.flatnonzero(keep).tolist(), key=lambda i: (-float(row[i]), self.table.words[i]))
            # the per_word nearest, the word itself among them when the corpus holds it (as tuned)
            found[w] = [self.table.words[i] for i in best[: s.per_word] if self.table.words[i] != w]
        extra = sorted({t for ts in found.values() for t in ts})
        return found, [(t, s.weight) for t in extra]


class _ExpandingLexical:
    """The index's lexical side, adding ``extra`` (token, weight) pairs to the next unweighted query."""

    def __init__(self, inner):
        self.inner = inner
        self.extra: list[tuple[str, float]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def top(self, tokens, mask, k, weights=None):
        if not self.extra or weights is not None:
            return self.inner.top(tokens, mask, k, weights)
        counts: dict[str, float] = dict(Counter(tokens))
        for token, weight in self.extra:
            if token not in counts and self.inner.has(token):
                counts[token] = weight
        return self.inner.top(list(counts), mask, k, list(counts.values()))


class ExpandingSearcher(Searcher):
    """A Searcher whose lexical list adds each question's learned expansion (``settings``)."""

    def __init__(self, index, embedder, settings: Settings = CHOSEN):
        self._lexical = _ExpandingLexical(index.lexical)
        super().__init__(replace(index, lexical=self._lexical), embedder)
        self.settings = settings
        self.expander = None if settings.scope == "off" else Expander(cached_table(self, settings.prompt), embedder, settings)
        self.last: dict[str, list[str]] = {}

    def plain_hits(self, pq, k: int):
        """The hits of a search without expansion."""
        expander, self.expander = self.expander, None
        try:
            return self.search(pq, k=k)
        finally:
            self.expander = expander

    @classmethod
    def open(cls, index_dir, embedder=None, settings: Settings = CHOSEN) -> ExpandingSearcher:
        plain = Searcher.open(index_dir, embedder)
        return cls(plain.index, plain.embedder, settings)

    def _rank(self, pq, qv, mask, k, pinned, mode="hybrid"):
        if self.expander is None or pq.lexical_tokens is not None or mode == "dense":
            return super()._rank(pq, qv, mask, k, pinned, mode)
        among = None
        if self.settings.prf:
            if qv is None:  # lexical-only ranking: no dense list to take feedback from
                return super()._rank(pq, qv, mask, k, pinned, mode)
            dense, dense_mask = self._dense_scores(qv, mask)
            among = self.expander.table.words_of(_top(dense, dense_mask, self.settings.prf, positive_only=False))
        self.last, self._lexical.extra = self.expander.expand(pq, among)
        try:
            return super()._rank(pq, qv, mask, k, pinned, mode)
        finally:
            self._lexical.extra = []


# --- the experiment ---------------------------------------------------------------------------------------

KEYS = ("hybrid.r1", "hybrid.r5", "hybrid.mrr", "lexical.r1", "lexical.r5", "dense.r1", "compare.rows", "abstain.false")


def summary(figs: dict) -> str:
    out = [f"{k}={figs[k]['all']['mean']:.3f}" for k in KEYS if k in figs]
    for kind in ("paraphrase", "english"):
        if kind in figs["hybrid.r1"]:
            out.append(f"{kind} {figs['hybrid.r1'][kind]['mean']:.2f}/{figs['hybrid.r5'][kind]['mean']:.2f}")
    if "abstain.uncovered" in figs:
        u = figs["abstain.uncovered"]["all"]
        out.append(f"uncovered abstained {round(u['mean'] * u['n'])}/{u['n']}")
    return " ".join(out)


def timing(searcher: ExpandingSearcher, questions: list[dict]) -> None:
    """Build cost of the table (CPU seconds, from scratch) and query-time CPU of hybrid search, off vs on."""
    import os

    from indexer.build import texts_for_lexical

    _, cost = TermTable.build(texts_for_lexical(list(searcher.clauses)), searcher.embedder, searcher.settings.prompt)
    per10k = {k: round(v * 10_000 / cost["words"], 1) for k, v in cost.items() if k != "words"}
    print(f"build: {cost['words']} words, CPU s {cost['tokenize_cpu_s']:.1f} tokenize + {cost['embed_cpu_s']:.1f} embed "
          f"(per 10k words: {per10k}); load {os.getloadavg()}")
    texts = [q["question"] for q in questions]
    expander = searcher.expander
    for label in ("off", "on", "off", "on"):
        searcher.expander = expander if label == "on" else None
        expander._vectors.clear()
        for t in texts[:5]:  # warm
            searcher.search(t, k=10)
        c0 = time.process_time()
        for t in texts:
            searcher.search(t, k=10)
        ms = (time.process_time() - c0) * 1000 / len(texts)
        print(f"query ({label}): {ms:.1f} ms CPU per hybrid search over {len(texts)} questions; load {os.getloadavg()}")
    searcher.expander = expander


def _answerable_on_plain_hits() -> None:
    """With ``abstain_plain``, the answer's abstention model sees the hits of the unexpanded ranking."""
    import retrieval.answer as answer_module

    original = answer_module.answerable

    def answerable(searcher, pq, hits):
        if isinstance(searcher, ExpandingSearcher) and searcher.settings.abstain_plain and searcher.expander:
            hits = searcher.plain_hits(pq, max(len(hits), 1))
        return original(searcher, pq, hits)

    answer_module.answerable = answerable


def main(argv: list[str] | None = None) -> int:
    from retrieval.eval.__main__ import PINS, SETS, load_questions, report
    from retrieval.eval.metrics import figures, run

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default=str(ROOT / ".eval" / "index"))
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="default: dev and heldout")
    parser.add_argument("--grid", help="a JSON list of Settings fields, each one variant (default: off and the chosen)")
    parser.add_argument("--full", action="store_true", help="print the evaluation's whole table for each variant")
    parser.add_argument("--timing", action="store_true", help="build and query-time cost of the chosen variant")
    args = parser.parse_args(argv)
    _answerable_on_plain_hits()
    searcher = ExpandingSearcher.open(args.index)
    if args.timing:
        timing(searcher, load_questions(SETS["dev"]) + load_questions(SETS["heldout"]))
        return 0
    variants = [Settings(**v) for v in json.loads(args.grid)] if args.grid else [Settings(scope="off"), CHOSEN]
    for settings in variants:
        searcher.settings = settings
        searcher.expander = None if settings.scope == "off" else Expander(
            cached_table(searcher, settings.prompt), searcher.embedder, settings)
        for name in args.set or ["dev", "heldout"]:
            figs = figures(run(searcher, load_questions(SETS[name])))
            print(f"{name} {json.dumps(asdict(settings), ensure_ascii=False)}\n  {summary(figs)}", flush=True)
            if args.full:
                pinned = json.loads((PINS / f"{name}.json").read_text(encoding="utf-8"))
                print("\n".join(report(name, figs, pinned)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
