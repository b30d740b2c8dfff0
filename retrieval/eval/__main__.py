"""``python -m retrieval.eval``: Recall@1, Recall@5 and MRR@10 per kind for lexical-only, dense-only and
hybrid retrieval on retrieval/eval/questions.jsonl, each against the pinned figures (pinned.json) with a
tolerance; then comparisons, abstention and answers. ``--log`` appends the run to runs.jsonl;
``--pin`` writes the figures of this run as the new pinned ones (after a deliberate change).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
MODES = ("lexical", "dense", "hybrid")
TOLERANCE = 0.02


def load_questions(path: Path = HERE / "questions.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def relevant(hit, judged: list[dict]) -> bool:
    path = hit.clause.section_path
    return any(hit.document.source == j["source"] and tuple(path[: len(j["section"])]) == tuple(j["section"]) for j in judged)


def evaluate(searcher, questions: list[dict]) -> dict:
    """All figures of one run: {'retrieval': {mode: {kind: {...}}}, 'compare': …, 'abstain': …, 'answers': …}."""
    from retrieval.answer import answer

    per: dict[str, dict[str, list[tuple[int, int, float]]]] = {m: defaultdict(list) for m in MODES}
    compare_ok, abstained, false_abstain, covered_n = [], [], 0, 0
    compare_found: list[float] = []
    answer_ok: dict[str, list[bool]] = defaultdict(list)
    failures: list[str] = []
    for q in questions:
        pq = searcher.parse(q["question"])
        if q["kind"] != "uncovered":
            for mode in MODES:
                hits = searcher.search(pq, k=10, mode=mode)
                rank = next((h.rank for h in hits if relevant(h, q["relevant"])), None)
                row = (int(rank == 1), int(rank is not None and rank <= 5), 1.0 / rank if rank else 0.0)
                per[mode][q["kind"]].append(row)
                per[mode]["all"].append(row)
                if mode == "hybrid" and rank != 1:
                    failures.append(f"{q['id']}: relevant at rank {rank or '>10'}: {q['question'][:40]}")
        hits = searcher.search(pq, k=10)
        ans = answer(searcher, pq, hits)
        if q["kind"] == "uncovered":
            abstained.append(ans.abstain)
        else:
            covered_n += 1
            false_abstain += int(ans.abstain)
            if ans.abstain:
                failures.append(f"{q['id']}: abstained wrongly: {q['question'][:40]}")
        if q["kind"] == "compare":
            top_regions = {h.clause.region for h in hits}
            want = set(q.get("regions", []))
            compare_ok.append(want <= top_regions)
            if not want <= top_regions:
                failures.append(f"{q['id']}: regions missing from top 10: {sorted(want - top_regions)}")
            rows = searcher.compare(q["question"])
            found = {r.region for r in rows if any(relevant(h, q["relevant"]) for h in r.hits)}
            compare_found.append(len(want & found) / max(len(want), 1))
            if want - found:
                failures.append(f"{q['id']}: compare() shows no relevant clause for {sorted(want - found)}")
        if q["kind"] == "numeric":
            answer_ok["numeric"].append(str(q["expect"]) in ans.text)
        if q["kind"] == "department":
            expect = q["expect"] if isinstance(q["expect"], list) else [q["expect"]]
            answer_ok["department"].append(bool(ans.departments) and ans.departments[0] == expect[0])

    def summary(rows):
        n = len(rows)
        return {"n": n, "r1": sum(r[0] for r in rows) / n, "r5": sum(r[1] for r in rows) / n, "mrr": sum(r[2] for r in rows) / n}

    return {
        "retrieval": {m: {kind: summary(rows) for kind, rows in sorted(per[m].items())} for m in MODES},
        "compare": {
            "n": len(compare_ok),
            "all_regions_in_top10": sum(compare_ok) / max(len(compare_ok), 1),
            # share of covering regions for which compare() shows a relevant clause
            "regions_with_relevant_clause": sum(compare_found) / max(len(compare_found), 1),
        },
        "abstain": {
            "uncovered": len(abstained),
            "abstained": sum(abstained),
            "false_abstain_rate": false_abstain / max(covered_n, 1),
        },
        "answers": {k: sum(v) / len(v) for k, v in answer_ok.items()},
        "failures": failures,
    }


def _verdict(value: float, pinned: float | None) -> str:
    if pinned is None:
        return "new"
    if value >= pinned - 1e-9:
        return "OK"
    if value >= pinned - TOLERANCE:
        return "within tolerance"
    return "FAIL"


def report(result: dict, pinned: dict) -> tuple[str, bool]:
    lines, failed = [], False
    lines.append(f"{'mode':<8} {'kind':<12} {'n':>3}  {'R@1':>6} {'R@5':>6} {'MRR@10':>7}  verdict")
    for mode in MODES:
        for kind, fig in result["retrieval"][mode].items():
            pin = pinned.get("retrieval", {}).get(mode, {}).get(kind, {})
            verdicts = [_verdict(fig[m], pin.get(m)) for m in ("r1", "r5", "mrr")]
            worst = "FAIL" if "FAIL" in verdicts else "within tolerance" if "within tolerance" in verdicts else verdicts[0]
            failed |= worst == "FAIL"
            lines.append(f"{mode:<8} {kind:<12} {fig['n']:>3}  {fig['r1']:6.3f} {fig['r5']:6.3f} {fig['mrr']:7.3f}  {worst}")
    for section, key in (
        ("compare", "all_regions_in_top10"),
        ("compare", "regions_with_relevant_clause"),
        ("abstain", "false_abstain_rate"),
    ):
        value = result[section][key]
        pin = pinned.get(section, {}).get(key)
        verdict = _verdict(-value, -pin if pin is not None else None) if key == "false_abstain_rate" else _verdict(value, pin)
        failed |= verdict == "FAIL"
        lines.append(f"{section}.{key}: {value:.3f}  {verdict}")
    a = result["abstain"]
    pin = pinned.get("abstain", {}).get("abstained")
    verdict = _verdict(a["abstained"], pin)
    failed |= verdict == "FAIL"
    lines.append(f"abstain.uncovered: {a['abstained']}/{a['uncovered']} abstained  {verdict}")
    for kind, value in result["answers"].items():
        pin = pinned.get("answers", {}).get(kind)
        verdict = _verdict(value, pin)
        failed |= verdict == "FAIL"
        lines.append(f"answers.{kind}: {value:.3f} correct  {verdict}")
    return "\n".join(lines), failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval.eval", description=__doc__)
    parser.add_argument("--index", default=str(PROJECT / "index"))
    parser.add_argument("--questions", default=str(HERE / "questions.jsonl"))
    parser.add_argument("--pinned", default=str(HERE / "pinned.json"))
    parser.add_argument("--log", action="store_true", help="append this run to runs.jsonl")
    parser.add_argument("--pin", action="store_true", help="write this run's figures as the pinned ones")
    parser.add_argument("--failures", action="store_true", help="list the questions hybrid did not get at rank 1")
    args = parser.parse_args(argv)
    from indexer.errors import PlanSearchError
    from retrieval.search import Searcher

    try:
        searcher = Searcher.open(args.index)
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    result = evaluate(searcher, load_questions(Path(args.questions)))
    pinned_path = Path(args.pinned)
    pinned = json.loads(pinned_path.read_text(encoding="utf-8")) if pinned_path.exists() else {}
    text, failed = report(result, pinned)
    print(f"index: {args.index} (model {searcher.index.manifest.model}, {len(searcher.clauses)} clauses)")
    print(text)
    if args.failures:
        print("\n".join(["", "not at rank 1 / wrong:"] + result["failures"]))
    figures = {k: v for k, v in result.items() if k != "failures"}
    if args.pin:
        pinned_path.write_text(json.dumps(figures, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"pinned to {pinned_path}")
    if args.log:
        entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "model": searcher.index.manifest.model,
                 "index": searcher.index.manifest.fingerprint, "figures": figures}
        with (HERE / "runs.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
