"""Scale: synthetic indexes of 10^5 … 10^6 clauses, built and searched without the model.

    .venv/bin/python bench/bench_scale.py [--sizes 100000 1000000] [--threshold N] [--nprobe 16 64 128] [--no-add]

For each size, three child processes (each with a clean peak RSS):

1. build: synthetic plans (real region names from the gazetteer, three-level section paths with real
   heading titles, clause texts drawn from the bundled plans' sentences so BM25 is realistic, departments)
   go through the real build path (``indexer.build.build_from_plans``: sentence units, vectors, token
   counts, the BM25 merge, FAISS, the files), the sources only not read. Vectors come from a stub
   embedder: clustered unit vectors (1,000 topics, a clause's cosine to its topic ~0.7, as embeddings of
   one field are; uniformly random 384-d vectors have no neighbours to find). Prints the build time by
   stage and the peak RSS.
2. query: loads the index (sizes and sha256 of every file, as the app's first load does) with a stub
   query embedder (no model) and prints the searcher's memory (VmRSS, and RssAnon — the process's own
   memory — apart from RssFile — pages of the memory-mapped vectors and BM25 arrays, reclaimable page
   cache), p50/p95 (wall and CPU) of plain, section-reference, department-filtered, compare and
   similar_to queries, and for an IVF index the recall@100 of its dense candidates against exact search
   (clause and sentence vectors, MaxP) for each probe count, and of department-filtered queries' (scored
   exactly over the allowed rows) against brute force over those rows.
3. add: the same plans plus one more (120 clauses) through the same build: what adding one plan costs
   beyond reading its file. It goes into a delta segment (``indexer.segments``): its vectors and token
   counts, the rest of the index hard-linked; stages: vectors, tokenize, merge (its postings), link,
   segment (its files), hash (its files only), write (all three and the swap). Then the query phase runs
   again on the index with its segment (BM25 over both segments' postings, vectors joined at load).

It prints numbers and asserts nothing (targets: README "Performance"); the machine's load average is
printed beside them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM = 384
TOPICS = 1000
CLAUSES_PER_DOC = 120
PLAIN = [
    "中小企业怎么用专利去银行贷款？",
    "地理标志保护",
    "知识产权人才队伍建设",
    "商业秘密保护",
    "假冒商品在网上卖怎么管？",
    "专利导航服务",
    "知识产权质押融资风险补偿",
    "海外维权援助",
    "数据知识产权保护",
    "高价值发明专利培育",
]
DEPARTMENTS = ["知识产权局", "市场监管局", "省法院", "公安厅", "财政厅"]
CN = "一二三四五六七八九十"


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory in MB: VmRSS, or RssAnon (the process's own memory) / RssFile (pages of mapped
    files: the memory-mapped vectors and BM25 arrays, shared with the page cache and reclaimable)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory() -> dict[str, float]:
    return {k: round(rss_mb(k)) for k in ("VmRSS", "RssAnon", "RssFile")}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cn(n: int) -> str:
    return (
        CN[n - 1]
        if n <= 10
        else ("十" + CN[n - 11] if n < 20 else CN[n // 10 - 1] + "十" + (CN[n % 10 - 1] if n % 10 else ""))
    )


def load() -> str:
    return os.getloadavg().__repr__()


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- building -----------------------------------------------------------------------------------------


def material():
    """Sentences, heading titles and departments of the bundled plans."""
    from indexer.read import read_folder
    from indexer.records import ParsedPlan

    plans = [p for p in read_folder(ROOT / "data") if isinstance(p, ParsedPlan)]
    sentences = sorted({s + "。" for p in plans for c in p.clauses for s in c.text.split("。") if len(s) >= 8})
    titles = sorted({c.label for p in plans for c in p.clauses if 2 <= len(c.label) <= 30})
    departments = sorted({d for p in plans for c in p.clauses for d in c.departments.all})
    return plans[0].document, sentences, titles, departments or DEPARTMENTS


def regions():
    rows = [
        line.rstrip("\n").split("\t")
        for line in (ROOT / "indexer/resources/regions.tsv").read_text("utf-8").splitlines()
    ]
    return [(r[1], r[2], r[3]) for r in rows[2:] if len(r) >= 4]


def topic_vectors(rng: np.random.Generator, centroids: np.ndarray, topics: np.ndarray) -> np.ndarray:
    v = centroids[topics] + rng.standard_normal((len(topics), DIM), dtype=np.float32) / np.sqrt(DIM)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.astype(np.float32)


def _synthetic_document(document, d: int, places):
    """Synthetic document number ``d``: its own id, file name, checksum, region and title."""
    from dataclasses import replace

    name, level, province = places[d % len(places)]
    return replace(
        document,
        doc_id=f"syn{d:06d}",
        source=f"syn{d:06d}.txt",
        sha256=f"{d:064x}",
        region=name,
        region_level=level,
        province=province,
        title=f"{name}知识产权规划{d}",
    )


def synth(n: int, extra_docs: int = 0, tile: int = 0):
    """The synthetic plans of an index of n clauses (the same for the same n), plus ``extra_docs`` more.
    ``tile``: the plans of an index of ``tile`` clauses, repeated under other ids and regions up to n (the
    texts repeat: their token counts, cached by the index of ``tile``, are not tokenized again)."""
    from dataclasses import replace

    from indexer.records import Clause, Departments, ParsedPlan

    if tile and tile < n:
        base = synth(tile)
        places = regions()
        plans = []
        for d in range(-(-n // CLAUSES_PER_DOC) + extra_docs):
            if d < len(base):
                plans.append(base[d])
                continue
            src = base[d % len(base)]
            doc = _synthetic_document(src.document, d, places)
            name = doc.region
            clauses = tuple(
                replace(c, clause_id=doc.doc_id + c.clause_id[c.clause_id.index(":") :], doc_id=doc.doc_id, region=name)
                for c in src.clauses
            )
            plans.append(replace(src, document=doc, clauses=clauses))
        return plans

    base, sentences, titles, departments = material()
    places = regions()
    rng = random.Random(n)
    n_docs = -(-n // CLAUSES_PER_DOC)
    plans = []
    for d in range(n_docs + extra_docs):
        doc = replace(_synthetic_document(base, d, places), doc_type=("规划", "实施意见", "条例", "方案")[d % 4])
        clauses = []
        for j in range(CLAUSES_PER_DOC if d < n_docs - 1 or d >= n_docs else n - (n_docs - 1) * CLAUSES_PER_DOC):
            i = d * CLAUSES_PER_DOC + j
            a, b, c = j // 24 + 1, (j // 6) % 4 + 1, j % 6 + 1
            label = titles[rng.randrange(len(titles))]
            path = (
                f"{cn(a)}、{titles[(a * 7) % len(titles)]}",
                f"（{cn(b)}）{titles[(a * 31 + b) % len(titles)]}",
                f"{c}.{label}",
            )
            text = "".join(rng.sample(sentences, rng.choice((1, 2, 3))))
            deps = (
                Departments((departments[rng.randrange(len(departments))],), ())
                if rng.random() < 0.3
                else Departments()
            )
            clauses.append(
                Clause(
                    f"{doc.doc_id}:{a}.{b}.{c}",
                    doc.doc_id,
                    doc.region,
                    path,
                    f"{c}.",
                    label,
                    text,
                    (i * 400, i * 400 + len(text)),
                    deps,
                )
            )
        plans.append(ParsedPlan(doc, "", (), tuple(clauses), ()))
    return plans


def build(n: int, folder: Path, threshold: int, tile: int = 0, tile_dir: Path | None = None) -> None:
    """A first build through the real build path (``indexer.build.build_from_plans``: sentence units,
    vectors from the stub embedder, token counts, BM25 merge, FAISS, files), sources not read."""
    from indexer.build import build_from_plans

    started = time.perf_counter()
    plans = synth(n, tile=tile)
    generated = time.perf_counter() - started
    token_dirs = (tile_dir / "tokens",) if tile and tile_dir else ()
    report = build_from_plans(plans, folder, embedder=StubEmbedder(), ann_threshold=threshold, token_dirs=token_dirs)
    manifest = json.loads((folder / "manifest.json").read_text())
    print(
        json.dumps(
            {
                "n": n,
                "tiled_from": tile or None,
                "documents": len(plans),
                "sentences": manifest["counts"]["sentences"],
                "vector_index": manifest["vector_index"],
                "generate_s": round(generated, 1),
                "build_s": round(report.seconds, 1),
                "stages_s": dict(report.timings),
                "peak_rss_mb": round(peak_mb()),
                "load": load(),
            }
        ),
        flush=True,
    )


def add_one(n: int, folder: Path, threshold: int, tile: int = 0) -> None:
    """Adding one plan (120 clauses) to the index of n: what an upload costs beyond reading the file."""
    from indexer.build import build_from_plans

    plans = synth(n, extra_docs=1, tile=tile)
    if tile:  # a plan whose text is new, not a repeat of the tiled plans
        plans[-1] = _fresh_plan(plans[-1])
    cpu = time.process_time()
    report = build_from_plans(plans, folder, embedder=StubEmbedder(), ann_threshold=threshold)
    print(
        json.dumps(
            {
                "n": n,
                "add_one_plan_s": round(report.seconds, 1),
                "add_one_plan_cpu_s": round(time.process_time() - cpu, 1),
                "segments": report.segments,
                "embedded": report.embedded,
                "stages_s": dict(report.timings),
                "peak_rss_mb": round(peak_mb()),
                "load": load(),
            }
        ),
        flush=True,
    )


def _fresh_plan(plan):
    """The plan with a sentence added to every clause's text (so it is new to the token cache)."""
    from dataclasses import replace

    _, sentences, _, _ = material()
    rng = random.Random(7)
    clauses = tuple(replace(c, text=c.text + sentences[rng.randrange(len(sentences))]) for c in plan.clauses)
    return replace(plan, clauses=clauses)


# --- querying -----------------------------------------------------------------------------------------


class StubEmbedder:
    """Fixed query vectors near a topic centroid (the search cost without the model)."""

    name, dim, query_prompt, passage_prompt = "stub:384", DIM, "query: ", "passage: "

    def __init__(self):
        self.centroids = np.random.default_rng(0).standard_normal((TOPICS, DIM)).astype(np.float32)
        self.centroids /= np.linalg.norm(self.centroids, axis=1, keepdims=True)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """A clause's vector: near the topic its text hashes to (a batch shares one noise generator)."""
        topics = np.array([zlib.crc32(t.encode("utf-8")) % TOPICS for t in texts])
        rng = np.random.default_rng(zlib.crc32("".join(texts[:1]).encode("utf-8")))
        return topic_vectors(rng, self.centroids, topics)

    def embed_query(self, text: str) -> np.ndarray:
        seed = sum(text.encode("utf-8")) * 7919 + len(text)
        rng = np.random.default_rng(seed)
        return topic_vectors(rng, self.centroids, np.array([seed % TOPICS]))[0]


def timed(fn, items) -> dict[str, float]:
    """Wall and CPU milliseconds, p50 and p95: on a shared machine the CPU time is what the query itself
    cost, the wall time includes waiting for a core."""
    wall, cpu = [], []
    for item in items:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(item)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {
        "wall_p50": round(percentile(wall, 50), 1),
        "wall_p95": round(percentile(wall, 95), 1),
        "cpu_p50": round(percentile(cpu, 50), 1),
        "cpu_p95": round(percentile(cpu, 95), 1),
    }


def query(folder: Path, nprobes: list[int]) -> None:
    from indexer.store import load_index
    from retrieval.records import Filters
    from retrieval.search import CANDIDATES, Searcher, _top

    before = memory()
    t0 = time.perf_counter()
    index = load_index(folder)  # sizes and sha256 of every file, as the app's first load
    loaded = time.perf_counter() - t0
    after_load = memory()
    searcher = Searcher(index, StubEmbedder())
    gc.freeze()  # as Searcher.open does
    opened = time.perf_counter() - t0
    after_open = memory()
    rng = random.Random(1)
    regions = [r.name for r in searcher.regions]
    plain = PLAIN * 3
    refs = [
        f"{rng.choice(regions)} {cn(rng.randint(1, 5))}、（{cn(rng.randint(1, 4))}）{rng.randint(1, 6)}."
        for _ in range(15)
    ]
    refs += [f"{cn(rng.randint(1, 5))}、（{cn(rng.randint(1, 4))}）{rng.randint(1, 6)}." for _ in range(15)]
    deps = [(q, Filters(department=rng.choice(searcher._cols.department_names))) for q in PLAIN * 3]
    seeds = [searcher.clauses[rng.randrange(len(searcher.clauses))].clause_id for _ in range(20)]
    for q in PLAIN[:3]:  # warm-up: jieba, caches, the answer module (compare), one of each kind
        searcher.search(q, k=10)
    searcher.compare("预热")
    searcher.similar_to(searcher.clauses[0].clause_id)
    out = {
        "n": len(searcher.clauses),
        "segments": len(index.manifest.segments),
        "load_index_s": round(loaded, 1),
        "open_s": round(opened, 1),
        "rss_before_mb": before,
        "rss_after_load_index_mb": after_load,
        "rss_after_searcher_mb": after_open,
        "searcher_rss_mb": round(after_open["VmRSS"] - before["VmRSS"]),
        "searcher_anon_mb": round(after_open["RssAnon"] - before["RssAnon"]),
        "load": load(),
    }
    out["plain"] = timed(lambda q: searcher.search(q, k=10), plain)
    out["section_ref"] = timed(lambda q: searcher.search(q, k=10), refs)
    out["department"] = timed(lambda qf: searcher.search(qf[0], k=10, filters=qf[1]), deps)
    out["compare"] = timed(lambda q: searcher.compare(q), PLAIN[:8])
    out["similar_to"] = timed(lambda cid: searcher.similar_to(cid), seeds[:10])
    out["rss_after_queries_mb"] = memory()
    hit = searcher.search(refs[0], k=3)
    out["section_ref_example"] = [refs[0], hit[0].clause_id if hit else None, list(hit[0].reasons) if hit else None]
    if not isinstance(searcher.vectors, np.ndarray):  # IVF: recall of the dense candidates against exact
        exact_vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal)
        sentence_vectors = index.sentences.index.reconstruct_n(0, index.sentences.index.ntotal)
        everything = np.ones(len(searcher.clauses), dtype=bool)
        queries = [searcher.embedder.embed_query(f"{q}{i}") for i, q in enumerate(PLAIN * 5)]
        truth = []
        for qv in queries:
            exact = exact_vectors @ qv
            np.maximum.at(exact, index.sentences.rows, sentence_vectors @ qv)
            truth.append(set(_top(exact, everything, CANDIDATES, positive_only=False)))
        del exact_vectors, sentence_vectors
        recall = {}
        for nprobe in nprobes:
            index.faiss.nprobe = nprobe
            index.sentences.index.nprobe = nprobe
            got, times, cpu = [], [], []
            for qv, want in zip(queries, truth, strict=True):
                start, start_cpu = time.perf_counter(), time.process_time()
                dense, allowed = searcher._dense_scores(qv, everything)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                got.append(len(set(_top(dense, allowed, CANDIDATES, positive_only=False)) & want) / len(want))
            recall[nprobe] = {
                "recall@100": round(float(np.mean(got)), 4),
                "min": round(float(np.min(got)), 2),
                "dense_p50_ms": round(percentile(times, 50), 1),
                "dense_p95_ms": round(percentile(times, 95), 1),
                "dense_cpu_p95_ms": round(percentile(cpu, 95), 1),
            }
        out["recall"] = recall
        out["department_recall"] = department_recall(searcher, deps[:10])
    print(json.dumps(out, ensure_ascii=False), flush=True)


def department_recall(searcher, deps) -> dict:
    """Recall@100 of the dense candidates of department-filtered queries against brute force over the
    allowed rows (their clause and sentence vectors decoded by FAISS, MaxP), and the largest score
    difference: a filter leaving few rows is scored exactly, so both should be 1.0 and ~1e-7."""
    from retrieval.search import CANDIDATES, _top

    index = searcher.index
    sentence_rows = index.sentences.rows
    got, worst = [], 0.0
    for q, filters in deps:
        mask = searcher._mask(filters)
        rows = np.flatnonzero(mask)
        qv = searcher.embedder.embed_query(searcher.parse(q).embedding_text)
        exact = np.full(len(mask), -np.inf, dtype=np.float32)
        exact[rows] = index.faiss.reconstruct_batch(rows.astype(np.int64)) @ qv
        ids = np.flatnonzero(mask[sentence_rows])
        np.maximum.at(exact, sentence_rows[ids], index.sentences.index.reconstruct_batch(ids.astype(np.int64)) @ qv)
        want = set(_top(exact, mask, CANDIDATES, positive_only=False))
        dense, allowed = searcher._dense_scores(qv, mask)
        got.append(len(set(_top(dense, allowed, CANDIDATES, positive_only=False)) & want) / len(want))
        worst = max(worst, float(np.abs(dense[rows] - exact[rows]).max()))
    return {"recall@100": round(float(np.mean(got)), 4), "min": round(float(np.min(got)), 2),
            "max_score_diff": float(f"{worst:.2g}"), "queries": len(got)}


def recall_distributions(n: int, nprobes: list[int]) -> None:
    """Recall@100 of the IVF index type alone (FAISS, no searcher) on three vector distributions: the
    bench's clustered vectors, a looser clustering with queries between two topics, and uniform random
    vectors (which have no neighbourhoods for IVF to find)."""
    import faiss

    from indexer.store import ANN_ENCODING, _nlist

    rng = np.random.default_rng(0)
    nlist = _nlist(n)

    def unit(x):
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    centroids = unit(rng.standard_normal((TOPICS, DIM)))

    def clustered(m, spread):
        return unit(centroids[rng.integers(0, TOPICS, m)] + spread * rng.standard_normal((m, DIM)) / np.sqrt(DIM))

    cases = {
        "clustered, cosine to topic ~0.7 (as built above)": (lambda: clustered(n, 1.0), lambda: clustered(50, 1.0)),
        "loose, cosine ~0.45, queries between two topics": (
            lambda: clustered(n, 2.0),
            lambda: unit(clustered(50, 2.0) + clustered(50, 2.0)),
        ),
        "uniform random": (lambda: unit(rng.standard_normal((n, DIM))), lambda: unit(rng.standard_normal((50, DIM)))),
    }
    for name, (make, make_queries) in cases.items():
        vectors, queries = make(), make_queries()
        index = faiss.index_factory(DIM, f"IVF{nlist},{ANN_ENCODING}", faiss.METRIC_INNER_PRODUCT)
        index.train(vectors[np.sort(rng.choice(n, min(n, 64 * nlist), replace=False))])
        index.add(vectors)
        exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :100]
        parts = []
        for nprobe in nprobes:
            index.nprobe = nprobe
            start = time.perf_counter()
            _, ids = index.search(queries, 100)
            ms = (time.perf_counter() - start) * 1000 / len(queries)
            recall = np.mean([len(set(ids[i]) & set(exact[i])) / 100 for i in range(len(queries))])
            parts.append(f"nprobe {nprobe}: {recall:.3f} ({ms:.1f} ms)")
        print(f"IVF{nlist},{ANN_ENCODING} over {n} vectors, {name}: " + "; ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000])
    parser.add_argument("--threshold", type=int, default=None, help="ANN threshold (default: the store's)")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--dir", default="/tmp/plansearch-bench-scale")
    parser.add_argument("--distributions", type=int, default=0, help="also: IVF recall on three distributions of N")
    parser.add_argument("--no-add", action="store_true", help="skip adding one plan after the queries")
    parser.add_argument(
        "--tile",
        type=int,
        default=0,
        help="repeat the plans of an index of this size (built before in --dir) up to each size: "
        "their cached token counts are reused, so the build does not tokenize (texts repeat)",
    )
    parser.add_argument("--phase", choices=("build", "query", "add"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from indexer.store import ANN_THRESHOLD

    threshold = ANN_THRESHOLD if args.threshold is None else args.threshold
    if args.phase == "build":
        tile_dir = Path(args.dir).parent / f"n{args.tile}-t{threshold}" if args.tile else None
        build(args.n, Path(args.dir), threshold, args.tile, tile_dir)
        return
    if args.phase == "query":
        query(Path(args.dir), args.nprobe)
        return
    if args.phase == "add":
        add_one(args.n, Path(args.dir), threshold, args.tile)
        return
    import shutil

    for n in args.sizes:
        folder = Path(args.dir) / f"n{n}-t{threshold}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        me = [
            sys.executable,
            __file__,
            "--n",
            str(n),
            "--dir",
            str(folder),
            "--threshold",
            str(threshold),
            "--tile",
            str(args.tile),
        ]
        print(f"== {n} clauses, uptime load {load()}", flush=True)
        subprocess.run([*me, "--phase", "build"], check=True)
        subprocess.run([*me, "--phase", "query", "--nprobe", *map(str, args.nprobe)], check=True)
        if not args.no_add:
            subprocess.run([*me, "--phase", "add"], check=True)
            subprocess.run([*me, "--phase", "query", "--nprobe", *map(str, args.nprobe)], check=True)
    if args.distributions:
        recall_distributions(args.distributions, args.nprobe)


if __name__ == "__main__":
    main()
