"""Search latency: warm query p50/p95 on the bundled index (query embedding + search + highlight + answer),
and search latency on a synthetic 100k-clause index (same vectors' dimension, BM25 over sampled text).

    .venv/bin/python bench/bench_search.py [--index index] [--synthetic 100000]

Prints numbers; it asserts nothing (targets live in the README: p95 ≤ 100 ms warm on 2 cores).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "中小企业怎么用专利去银行贷款？", "青海 四、(一)2.", "地理标志保护", "博州2025年每万人口高价值发明专利拥有量目标是多少？",
    "山西知识产权运营服务体系由哪个部门牵头？", "如何加強知識產權司法保護？", "How do the plans support patent-backed loans?",
    "假冒商品在网上卖怎么管？", "知识产权人才队伍建设", "养老保险缴费基数怎么调整？", "泰安 二（四）2", "商业秘密保护",
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_bundled(index_dir: Path, rounds: int) -> None:
    from retrieval.answer import answer
    from retrieval.highlight import highlight
    from retrieval.search import Searcher

    t0 = time.perf_counter()
    searcher = Searcher.open(index_dir)
    searcher.embedder.embed_query("预热")  # load the model
    print(f"open index + load model: {time.perf_counter() - t0:.2f} s")

    def one(q: str) -> float:
        start = time.perf_counter()
        pq = searcher.parse(q)
        hits = searcher.search(pq, k=10)
        weights = searcher.term_weights()
        for h in hits:
            highlight(h.clause.text, pq.content_text, weights=weights)
        answer(searcher, pq, hits)
        return (time.perf_counter() - start) * 1000

    for q in QUESTIONS:  # warm-up: jieba, caches
        one(q)
    cold_embed = []
    for q in QUESTIONS:  # new phrasing each time, so the query-vector cache does not help
        searcher._query_cache.clear()
        cold_embed.append(one(q))
    cached = [one(q) for _ in range(rounds) for q in QUESTIONS]
    print(f"warm query, embedding included ({len(cold_embed)} queries): p50 {percentile(cold_embed, 50):.1f} ms, "
          f"p95 {percentile(cold_embed, 95):.1f} ms, max {max(cold_embed):.1f} ms")
    print(f"repeated query (vector cached, {len(cached)} runs): p50 {percentile(cached, 50):.1f} ms, "
          f"p95 {percentile(cached, 95):.1f} ms")


def bench_synthetic(n: int, index_dir: Path) -> None:
    """A PlanIndex of n clauses made from the bundled clauses' text shuffled, with random unit vectors."""
    from indexer.lexical import DEFAULT_TOKENIZER, LexicalIndex
    from indexer.records import Clause
    from indexer.store import Manifest, PlanIndex, load_index
    from retrieval.search import Searcher

    base = load_index(index_dir)
    rng = random.Random(7)
    sentences = [s for c in base.clauses for s in c.text.split("。") if len(s) > 8]
    docs = base.documents
    clauses, texts = [], []
    for i in range(n):
        doc = docs[i % len(docs)].document
        text = "。".join(rng.sample(sentences, 3)) + "。"
        texts.append(text)
        clauses.append(Clause(f"{doc.doc_id}:syn{i}", doc.doc_id, doc.region, ("一、合成章节", f"（{i % 9 + 1}）合成条款"),
                              "", "合成条款", text, (0, len(text))))
    t0 = time.perf_counter()
    lexical = LexicalIndex.build(texts, DEFAULT_TOKENIZER)
    print(f"synthetic {n}: BM25 built in {time.perf_counter() - t0:.1f} s")
    import faiss

    vectors = np.random.default_rng(7).standard_normal((n, base.manifest.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(base.manifest.dim)
    flat.add(vectors)
    m = base.manifest
    manifest = Manifest(m.format_version, m.parser_version, m.model, m.dim, m.query_prompt, m.passage_prompt,
                        m.embed_text, DEFAULT_TOKENIZER, m.normalization, m.sources,
                        {"documents": len(docs), "clauses": n, "indicators": 0, "vectors": n})
    index = PlanIndex(index_dir, manifest, docs, tuple(clauses), (), flat, lexical)

    class FixedEmbedder:  # the search cost without the model: a fixed random query vector
        name, dim, query_prompt, passage_prompt = m.model, m.dim, m.query_prompt, m.passage_prompt

        def embed_query(self, text):
            v = np.random.default_rng(len(text)).standard_normal(m.dim).astype(np.float32)
            return v / np.linalg.norm(v)

    t0 = time.perf_counter()
    searcher = Searcher(index, FixedEmbedder())
    print(f"synthetic {n}: searcher ready in {time.perf_counter() - t0:.1f} s")
    times = []
    for _ in range(3):
        for q in QUESTIONS:
            start = time.perf_counter()
            searcher.search(q, k=10)
            times.append((time.perf_counter() - start) * 1000)
    print(f"synthetic {n}: search (no model) p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=100_000, help="0 to skip")
    args = parser.parse_args()
    import torch

    print(f"threads: {torch.get_num_threads()}, median of runs on this machine")
    bench_bundled(Path(args.index), args.rounds)
    if args.synthetic:
        bench_synthetic(args.synthetic, Path(args.index))


if __name__ == "__main__":
    main()
