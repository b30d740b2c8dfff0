"""Index build: full build of the bundled plans (model already converted and cached), unchanged rebuild,
and the peak memory of each, each in a fresh process as a user would run it.

    .venv/bin/python bench/bench_build.py [--data data]

Prints numbers; asserts nothing (targets in the README: full < 60 s, unchanged < 5 s, peak RSS < 2.5 GB).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB of the child, and its last output line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "indexer", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far, in KB
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    return wall, max(peak, before) / 1024, lines[0] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT / "data"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        # Make sure the converted model is in the cache, so the timings below are of building only.
        wall, rss, line = run(["build", "--data", args.data, "--index", str(warm), "--quiet"])
        print(f"first build (converts the model if not cached): {wall:.1f} s — {line}")
        index = Path(tmp) / "index"
        wall, _, line = run(["build", "--data", args.data, "--index", str(index), "--quiet"])
        print(f"full build (fresh process, model cached): {wall:.1f} s — {line}")
        wall, rss, line = run(["build", "--data", args.data, "--index", str(index), "--quiet"])
        print(f"unchanged rebuild (fresh process): {wall:.1f} s — {line}")
        print(f"peak RSS of any build process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
