"""Golden outlines: a small summary of how every bundled and corpus-more plan parses, pinned per plan.

Each ``tests/golden/<stem>.json`` holds the PARSER_VERSION it was written under, the document's title,
region, level, province and type, counts per heading level, clause and indicator counts, and a dozen
section paths spread over the document. ``tests/test_golden.py`` fails when a plan parses differently
while PARSER_VERSION is unchanged (stale indexes would not be rebuilt), and when PARSER_VERSION moved
without the goldens being rewritten. Rewrite them, after checking the differences, with::

    python -m tests.golden_outlines --write
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
SOURCES = (ROOT / "data", ROOT / "retrieval" / "eval" / "corpus-more")
REGENERATE = "python -m tests.golden_outlines --write"
N_PATHS = 12


def plan_files() -> list[Path]:
    out = []
    for folder in SOURCES:
        out += sorted(
            p for p in folder.iterdir()
            if p.suffix in (".txt", ".md") and p.name.lower() not in ("readme.md", "sources.md")
        )
    return out


def summary(path: Path) -> dict:
    """What the golden file pins for one plan (without the parser version)."""
    from indexer.read import read_plan

    plan = read_plan(path)
    doc = plan.document
    heads = plan.headings
    picks = sorted({round(i * (len(heads) - 1) / (N_PATHS - 1)) for i in range(N_PATHS)}) if heads else []
    body = [c for c in plan.clauses if c.kind != "indicator"]
    return {
        "title": doc.title,
        "region": doc.region,
        "region_level": doc.region_level,
        "province": doc.province,
        "doc_type": doc.doc_type,
        "levels": {str(k): v for k, v in sorted(Counter(h.level for h in heads).items())},
        "clauses": sum(1 for c in body if c.part == 1),
        "parts": len(body),
        "indicators": len(plan.indicators),
        "paths": [" > ".join(heads[i].path) for i in picks],
    }


def golden_path(path: Path) -> Path:
    return GOLDEN / f"{path.stem}.json"


def write_all() -> None:
    from indexer.store import PARSER_VERSION

    GOLDEN.mkdir(exist_ok=True)
    for path in plan_files():
        data = {"parser_version": PARSER_VERSION, "source": str(path.relative_to(ROOT)), **summary(path)}
        golden_path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {golden_path(path).relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {REGENERATE}")
    write_all()
