"""Command line: ``python -m indexer outline FILE [--json]``, ``build`` and ``export-milvus``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import PlanSearchError

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = PROJECT / "data"
DEFAULT_INDEX = PROJECT / "index"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Read plans and build the search index.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_outline = sub.add_parser("outline", help="print the heading tree, clauses and indicators of a plan")
    p_outline.add_argument("file")
    p_outline.add_argument("--json", action="store_true", help="print one JSON object (the outline contract)")
    p_build = sub.add_parser("build", help="build or update the index (only new or changed plans are embedded)")
    p_build.add_argument("--data", default=str(DEFAULT_DATA), help="folder of plans (default: the project's data/)")
    p_build.add_argument("--index", default=str(DEFAULT_INDEX), help="index folder (default: the project's index/)")
    p_build.add_argument("--model", help="embedding model: 'bundled:e5-small' (default), a local folder, or a hub id")
    p_build.add_argument("--dtype", help="auto | float32 | bfloat16 (torch runtime)")
    p_build.add_argument("--runtime", choices=["onnx", "torch"], help="embedding runtime (default onnx)")
    p_build.add_argument("--batch-size", type=int)
    p_build.add_argument("--threads", type=int)
    p_build.add_argument("--tokenizer", default=None, help="lexical splitter: bigram | jieba | jieba+bigram")
    p_build.add_argument("--embed-text", default=None, help="what to embed: text | path+text | title+path+text")
    p_build.add_argument("--force", action="store_true", help="rewrite the index even if nothing changed")
    p_build.add_argument(
        "--compact", action="store_true", help="write one index of the live plans: merge the segments added plans made, drop changed and removed plans' old rows"
    )
    p_build.add_argument("--quiet", action="store_true", help="no progress bars")
    p_export = sub.add_parser(
        "export-milvus", help="fill a Milvus collection from a built index (upserts what changed)"
    )
    p_export.add_argument("--index", default=str(DEFAULT_INDEX), help="index folder (default: the project's index/)")
    p_export.add_argument("--uri", help="Milvus URI: http://host:19530, or a local file for Milvus Lite")
    p_export.add_argument("--token", help="Milvus token (user:password or an API key); prefer PLANSEARCH_MILVUS_TOKEN")
    p_export.add_argument("--collection", help="collection name (default plansearch)")
    p_export.add_argument("--index-type", help="vector index: HNSW (default), FLAT, IVF_FLAT, DISKANN …")
    p_export.add_argument("--vectors", help="take the vectors from this Parquet folder of `embed` instead of the index")
    p_export.add_argument(
        "--replace-foreign", action="store_true", help="drop same-named collections that plansearch did not create"
    )
    p_embed = sub.add_parser("embed", help="embed what an index embeds into Parquet vectors (--ray: on a Ray cluster)")
    p_embed.add_argument("--index", default=str(DEFAULT_INDEX), help="index folder (default: the project's index/)")
    p_embed.add_argument("--out", required=True, help="new folder for the Parquet vectors")
    p_embed.add_argument("--ray", action="store_true", help="embed with Ray Data, one embedder per worker")
    p_embed.add_argument("--address", help="Ray cluster address ('auto' on a cluster node); default: a local Ray")
    p_embed.add_argument("--workers", type=int, default=2, help="embedding actors (local Ray: CPUs), default 2")
    p_embed.add_argument("--batch-size", type=int)
    args = parser.parse_args(argv)
    try:
        if args.command == "outline":
            from . import ocr
            from .outline import outline_json, outline_text
            from .read import read_plan

            with ocr.reporting(_print_ocr_progress):
                plan = read_plan(args.file)
            for problem in plan.problems:  # a bad sidecar is ignored, but the user should know
                print(f"warning: {problem}", file=sys.stderr)
            if args.json:
                json.dump(outline_json(plan), sys.stdout, ensure_ascii=False, indent=1)
                sys.stdout.write("\n")
            else:
                print(outline_text(plan))
        elif args.command == "build":
            return _build(args)
        elif args.command == "export-milvus":
            from .milvus_export import MilvusSettings, export_index

            settings = MilvusSettings.from_env(
                uri=args.uri, token=args.token, collection=args.collection, index_type=args.index_type
            )
            print(
                export_index(args.index, settings, vectors=args.vectors, replace_foreign=args.replace_foreign).summary()
            )
        elif args.command == "embed":
            from .embed_ray import embed_to_parquet

            if args.workers < 1:
                raise PlanSearchError(f"--workers must be at least 1 (got {args.workers})")
            report = embed_to_parquet(
                args.index,
                args.out,
                ray=args.ray,
                address=args.address,
                workers=args.workers,
                batch_size=args.batch_size,
            )
            print(report.summary())
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        where = err.filename or getattr(args, "file", None) or getattr(args, "index", "")
        print(f"error: {where}: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback. A build writes aside and swaps in whole
        print("\ninterrupted" + ("; the index is as it was before this build (what was written aside is "
                                 "cleared by the next build)" if args.command == "build" else ""), file=sys.stderr)
        return 130
    return 0


def _print_ocr_progress(done: int, total: int) -> None:
    """A scanned PDF is read seconds a page: say how far, on stderr (stdout is the outline)."""
    print(f"ocr: page {done}/{total}", file=sys.stderr, flush=True)


def _build(args) -> int:
    from . import ocr
    from .build import DEFAULT_EMBED_TEXT, build_index
    from .embedding import EmbedderSettings
    from .lexical import DEFAULT_TOKENIZER

    settings = EmbedderSettings.from_env(
        model=args.model, dtype=args.dtype, batch_size=args.batch_size, threads=args.threads, runtime=args.runtime
    )
    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet:
            return
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit={"embed": "clause", "ocr": "page"}.get(stage, "file"), leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()

    def ocr_progress(done: int, total: int) -> None:  # a scanned PDF in the folder: its pages, one by one
        progress("ocr", done, total)

    try:
        with ocr.reporting(ocr_progress):
            report = build_index(
                args.data,
                args.index,
                settings=settings,
                tokenizer=args.tokenizer or DEFAULT_TOKENIZER,
                embed_recipe=args.embed_text or DEFAULT_EMBED_TEXT,
                progress=progress,
                force=args.force,
                compact=args.compact,
            )
    finally:
        for bar in bars.values():
            bar.close()
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
