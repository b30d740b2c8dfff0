"""``python -m retrieval.eval``: every question set (development, held-out, blind) on the evaluation index,
with per-kind figures and bootstrap 95% intervals, each against its pinned figures.

The evaluation index holds the five bundled plans (data/) and the ten documents of other fields and
shapes in retrieval/eval/corpus-more/; it is built (incrementally, with the configured model) into
.eval/index on first use. ``--index`` evaluates another index instead. ``--pin`` writes this run's
figures as the pinned ones (after a deliberate change, with the reason in the commit); ``--log``
appends the run to runs.jsonl. Exit status 1 when any pinned figure falls more than the tolerance.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
SETS = {"dev": HERE / "questions.jsonl", "heldout": HERE / "heldout.jsonl", "blind": HERE / "blind.jsonl",
        # a second development set, of comparisons across every field of the evaluation index (stop 26):
        # the comparisons of the first are all of IP plans; tuned on freely, like development
        "dev-compare": HERE / "compare-train.jsonl"}
PINS = HERE / "pins"
EVAL_DIR = PROJECT / ".eval"
TOLERANCE = 0.02
# Figures checked against the pins, and for which groups ('all' or every kind).
CHECKED = {
    "hybrid.r1": "kinds", "hybrid.r5": "kinds", "hybrid.mrr": "all",
    "lexical.r1": "all", "lexical.r5": "all", "dense.r1": "all", "dense.r5": "all",
    "compare.top10": "all", "compare.rows": "all", "compare.offfield": "all", "compare.uncovered_covering": "all",
    "abstain.uncovered": "kinds", "abstain.false": "all",
    "answer.numeric": "all", "answer.numeric_first": "all", "answer.department": "all",
}
LOWER_IS_BETTER = {"abstain.false", "compare.offfield", "compare.offfield_covering", "answer.confident_uncovered",
                   "compare.uncovered_covering"}


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluation_index(quiet: bool = True) -> Path:
    """The evaluation index (.eval/index) of data/ plus corpus-more/, brought up to date."""
    from indexer.build import build_index

    data = EVAL_DIR / "data"
    data.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for folder in (PROJECT / "data", HERE / "corpus-more") for p in sorted(folder.iterdir())
              if p.is_file() and p.suffix in (".txt", ".md") and p.name.lower() != "readme.md" and p.name != "SOURCES.md"}
    for stale in set(p.name for p in data.iterdir()) - set(wanted):
        (data / stale).unlink()
    for name, src in wanted.items():
        target = data / name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)
    report = build_index(data, EVAL_DIR / "index")
    if not quiet:
        print(report.summary().splitlines()[0], file=sys.stderr)
    return EVAL_DIR / "index"


def documents_filter(spec: str) -> set[str]:
    """The documents named by ``--documents``: file names or their stems, comma-separated; ``training`` and
    ``judging`` stand for the lists of the adapter's split (indexer/resources/finetune/split.json)."""
    names: set[str] = set()
    for part in (p.strip() for p in spec.split(",")):
        if part in ("training", "judging"):
            split = json.loads((PROJECT / "indexer" / "resources" / "finetune" / "split.json").read_text(encoding="utf-8"))
            names.update(split[part])
        elif part:
            names.add(part)
    return names


def restrict(questions: list[dict], documents: set[str]) -> list[dict]:
    """The items whose every judged clause lies in one of ``documents`` (uncovered items have none: left out)."""
    def named(source: str) -> bool:
        return source in documents or Path(source).stem in documents

    return [q for q in questions if q.get("relevant") and all(named(j["source"]) for j in q["relevant"])]


def verdict(name: str, value: float, pinned: float | None, n: int = 0) -> str:
    """OK at or above the pin; within tolerance up to 0.02 (or one question of the group) below; else FAIL."""
    if pinned is None:
        return "new"
    better = -value if name in LOWER_IS_BETTER else value
    floor = -pinned if name in LOWER_IS_BETTER else pinned
    if better >= floor - 1e-6:  # pins are rounded to six decimals
        return "OK"
    tolerance = max(TOLERANCE, 1.0 / n if n else 0.0)
    return "within tolerance" if better >= floor - tolerance - 1e-6 else "FAIL"


def _fmt(fig: dict) -> str:
    return f"{fig['mean']:.3f} [{fig['low']:.2f}–{fig['high']:.2f}]"


def report(set_name: str, figs: dict, pinned: dict) -> tuple[list[str], bool]:
    """The set's table (hybrid per kind, then the other figures), each with its verdict."""
    lines = [f"== {set_name} =="]
    failed = False

    def check(name: str, group: str) -> str:
        nonlocal failed
        if CHECKED.get(name) is None or (CHECKED[name] == "all" and group != "all"):
            return ""
        fig = figs[name][group]
        v = verdict(name, fig["mean"], pinned.get(name, {}).get(group), fig["n"])
        failed |= v == "FAIL"
        return v

    hybrid = figs.get("hybrid.r1", {})
    lines.append(f"  {'kind':<12} {'n':>4}  {'R@1 [95% CI]':<21} {'R@5 [95% CI]':<21} {'MRR@10':>6}  verdict")
    for group in hybrid:
        verdicts = [check(f"hybrid.{m}", group) for m in ("r1", "r5", "mrr")]
        worst = next((v for v in ("FAIL", "within tolerance", "new", "OK") if v in verdicts), "")
        lines.append(
            f"  {group:<12} {hybrid[group]['n']:>4}  {_fmt(figs['hybrid.r1'][group]):<21} "
            f"{_fmt(figs['hybrid.r5'][group]):<21} {figs['hybrid.mrr'][group]['mean']:6.3f}  {worst}"
        )
    for name in ("lexical.r1", "lexical.r5", "dense.r1", "dense.r5", "compare.top10", "compare.rows", "compare.rows_covering",
                 "compare.offfield", "compare.offfield_covering", "compare.uncovered_covering", "abstain.false", "answer.tentative_covered",
                 "answer.confident_uncovered", "answer.numeric", "answer.numeric_first", "answer.department",
                 "similar.covering_shown", "similar.first_relevant", "similar.offfield_shown"):
        if name in figs:
            fig = figs[name]["all"]
            lines.append(f"  {name:<18} n={fig['n']:<4} {_fmt(fig)}  {check(name, 'all')}")
    if "abstain.uncovered" in figs:
        for group, fig in figs["abstain.uncovered"].items():
            lines.append(f"  {'abstain.uncovered':<18} {group:<8} n={fig['n']:<4} {_fmt(fig)}  {check('abstain.uncovered', group)}")
    return lines, failed


def pin_values(figs: dict) -> dict:
    return {name: {g: round(f["mean"], 6) for g, f in groups.items()} for name, groups in figs.items() if name in CHECKED}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="a question set (default: all of them)")
    parser.add_argument("--index", help="evaluate this index instead of the evaluation index (.eval/index)")
    parser.add_argument("--pin", action="store_true", help="write this run's figures as the pinned ones")
    parser.add_argument("--log", action="store_true", help="append this run to runs.jsonl")
    parser.add_argument("--failures", action="store_true", help="list the questions hybrid did not get at rank 1")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--documents", help="only items whose judged clauses all lie in these documents (file names "
                        "or stems, comma-separated; 'training' / 'judging' = the adapter's split); aggregate "
                        "figures only, not checked against the pins")
    args = parser.parse_args(argv)
    if args.documents and (args.pin or args.log):
        parser.error("--documents reports a subset: it cannot be pinned or logged")
    documents = documents_filter(args.documents) if args.documents else None
    from indexer.errors import PlanSearchError
    from retrieval.search import Searcher

    from .metrics import figures, run

    try:
        index = Path(args.index) if args.index else evaluation_index(quiet=False)
        searcher = Searcher.open(index)
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    manifest = searcher.index.manifest
    print(f"index: {index} (model {manifest.model}, {manifest.counts.get('documents')} documents, "
          f"{len(searcher.clauses)} clauses)")
    failed, everything = False, {}
    for set_name in args.set or list(SETS):
        questions = load_questions(SETS[set_name])
        if documents is not None:
            kept = restrict(questions, documents)
            print(f"== {set_name}: {len(kept)} of {len(questions)} items judged in {len(documents)} documents ==")
            questions = kept
        outcomes = run(searcher, questions)
        figs = figures(outcomes)
        everything[set_name] = figs
        pin_path = PINS / f"{set_name}.json"
        pinned = json.loads(pin_path.read_text(encoding="utf-8")) if pin_path.exists() and documents is None else {}
        lines, set_failed = report(set_name, figs, pinned)
        failed |= set_failed
        print("\n".join(lines))
        if args.failures and not (documents is not None and set_name == "blind"):
            print("\n".join(["  not at rank 1 / wrong:"] + [f"    {f}" for f in outcomes.failures]))
        if args.pin:
            PINS.mkdir(exist_ok=True)
            pin_path.write_text(json.dumps(pin_values(figs), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"  pinned to {pin_path.relative_to(PROJECT)}")
    if args.json:
        print(json.dumps(everything, ensure_ascii=False))
    if args.log:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "model": manifest.model,
                 "index": manifest.fingerprint, "figures": {s: pin_values(f) for s, f in everything.items()}}
        with (HERE / "runs.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
