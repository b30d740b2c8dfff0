"""Adding one plan to a folder of N plans with ``build_index`` (the app's upload, ``indexer build``): what
reading the folder costs, before and after unchanged sources were no longer parsed (indexer/sources.py).

    .venv/bin/python bench/bench_sources.py make --work /tmp/srcbench --plans 2000
    .venv/bin/python bench/bench_sources.py add --work /tmp/srcbench [--change | --remove] [--compact-share X]
                                             [--code /path/to/other/checkout]

``make`` writes N text plans (the bundled plans, each under another region's name: the region string
replaced, so every text differs), one more plan to add, and builds the index of the N (fake embedder, so
that the figures are of reading and writing, not of a model). ``add`` copies that index, adds the plan
(or, ``--change``, edits one; ``--remove``, deletes one: the old document tombstoned, the new version a
segment; before tombstones, and with ``--compact-share 0``, the index written whole) and times
``build_index`` in this process, with the code of ``--code`` (another checkout, e.g. the code
before, whose manifests lack the sources' stamps: they are stripped from the copy). Prints wall and CPU
seconds, the build's stage timings and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAST = time.time_ns() - 24 * 3600 * 10**9  # older than any build: the stamps are trusted


def _regions() -> list[str]:
    lines = (ROOT / "indexer" / "resources" / "regions.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[1] for line in lines[2:] if line.count("\t") >= 2]


def make(work: Path, n: int, tokenizer: str) -> None:
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder
    from indexer.read import read_plan

    templates = sorted((ROOT / "data").glob("*.txt"))
    texts = [(t, t.read_text(encoding="utf-8"), read_plan(t).document.region) for t in templates]
    data, extra = work / "data", work / "extra"
    for folder in (data, extra):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    seen: set[str] = set()
    names = iter(_regions())
    made = 0
    while made < n + 1:
        name = next(names)
        for template, text, region in texts:
            if made == n + 1:
                break
            new = text.replace(region, name)
            if new in seen or name == region:
                continue
            seen.add(new)
            target = (extra if made == n else data) / f"p{made:05d}_{template.stem}.txt"
            target.write_text(new, encoding="utf-8")
            os.utime(target, ns=(PAST, PAST))
            made += 1
    started, cpu = time.perf_counter(), time.process_time()
    report = build_index(data, work / "index", embedder=make_embedder(EmbedderSettings(model="fake:64")),
                         tokenizer=tokenizer)
    print(f"base: {report.documents} plans, {report.clauses} clauses in {time.perf_counter() - started:.1f} s "
          f"({time.process_time() - cpu:.1f} s CPU), load {os.getloadavg()[0]:.1f}; {dict(report.timings)}")


def add(work: Path, tokenizer: str, change: bool = False, remove: bool = False) -> None:
    from indexer.build import build_index
    from indexer.embedding import EmbedderSettings, make_embedder

    index = work / f"index-add-{os.getpid()}"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(work / "index", index)
    try:
        import indexer.sources  # noqa: F401 - the code after: it reads the stamps
    except ImportError:  # the code before: its manifests have no stamps
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        for entry in manifest["sources"]:
            for key in ("size", "mtime_ns", "content", "overrides"):
                entry.pop(key, None)
        (index / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    folder = work / "data+1"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for path in [*(work / "data").iterdir(), *([] if change or remove else (work / "extra").iterdir())]:
        os.link(path, folder / path.name)  # the same files: same inodes and mtimes
    middle = sorted(folder.iterdir())[len(os.listdir(folder)) // 2]
    if change:  # one plan edited instead
        text = middle.read_text(encoding="utf-8")
        middle.unlink()
        middle.write_text(text.replace("知识产权", "知识产权（修订）", 3), encoding="utf-8")
    elif remove:  # one plan deleted instead
        middle.unlink()
    embedder = make_embedder(EmbedderSettings(model="fake:64"))
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    report = build_index(folder, index, embedder=embedder, tokenizer=tokenizer)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    shutil.rmtree(index, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    verb = "change one plan of" if change else "remove one plan of" if remove else "add one plan to"
    before = report.documents + remove - (not change and not remove)
    print(f"{verb} {before}: {wall:.2f} s ({cpu:.2f} s CPU), parsed "
          f"{getattr(report, 'parsed', report.documents)}, segments {report.segments}, load {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}; {dict(report.timings)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=("make", "add"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--plans", type=int, default=2000)
    parser.add_argument("--tokenizer", default="bigram")
    parser.add_argument("--change", action="store_true", help="add: edit one plan instead of adding one")
    parser.add_argument("--remove", action="store_true", help="add: delete one plan instead of adding one")
    parser.add_argument("--compact-share", type=float, default=None,
                        help="segments.COMPACT_SHARE for this run (0: the index written whole, as before tombstones)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose indexer to run")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    if args.compact_share is not None:
        from indexer import segments

        segments.COMPACT_SHARE = args.compact_share
    if args.phase == "make":
        make(args.work, args.plans, args.tokenizer)
    else:
        add(args.work, args.tokenizer, args.change, args.remove)


if __name__ == "__main__":
    main()
