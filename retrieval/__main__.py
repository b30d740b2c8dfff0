"""Command line: ``python -m retrieval search "问题" [--k 10] [--region …] [--json] [--batch FILE]``.

The JSON shapes are a contract other tools rely on: extend them, never rename.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from indexer.errors import PlanSearchError

PROJECT = Path(__file__).resolve().parent.parent


def hit_json(hit, hl, citation) -> dict:
    c, d = hit.clause, hit.document
    return {
        "rank": hit.rank,
        "score": hit.score,
        "clause_id": c.clause_id,
        "doc_id": c.doc_id,
        "source": d.source,
        "sha256": d.sha256,
        "region": d.region,
        "title": d.title,
        "section": " > ".join(c.section_path),
        "citation": citation.canonical,
        "text": c.text,
        "departments": {"lead": list(c.departments.lead), "support": list(c.departments.support)},
        "highlights": {"sentences": [list(s) for s in hl.sentences], "terms": [list(t) for t in hl.terms]},
        # extensions beyond the contract
        "short_citation": citation.short,
        "kind": c.kind,
        "part": c.part,
        "parts": c.parts,
        "dense_score": hit.dense_score,
        "dense_rank": hit.dense_rank,
        "lexical_score": hit.lexical_score,
        "lexical_rank": hit.lexical_rank,
        "reasons": list(hit.reasons),
    }


def result_json(searcher, qid, question: str, k: int, filters) -> dict:
    from .answer import answer
    from .cite import cite
    from .highlight import highlight

    pq = searcher.parse(question)
    hits = searcher.search(pq, k=k, filters=filters)
    ans = answer(searcher, pq, hits)
    weights = searcher.term_weights()
    results = [hit_json(h, highlight(h.clause.text, pq.content_text, weights=weights), cite(h.clause, h.document)) for h in hits]
    out = {"id": qid, "answer": ans.text, "abstain": ans.abstain, "results": results}
    out.update({"figures": list(ans.figures), "answer_departments": list(ans.departments), "confidence": ans.confidence})
    return out


def print_human(out: dict) -> None:
    print(f"答：{out['answer']}")
    print()
    for r in out["results"]:
        print(f"{r['rank']:>2}. {r['short_citation']}  ({r['score']:.4f}; dense #{r['dense_rank'] or '-'}, lexical #{r['lexical_rank'] or '-'})")
        print(f"    {r['citation']}")
        text = r["text"].replace("\n", " ")
        print(f"    {text[:160]}{'…' if len(text) > 160 else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description="Search the indexed plans.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="search clauses, answer and cite")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--region", action="append", default=[], help="restrict to a region (repeatable)")
    p.add_argument("--level", action="append", default=[], help="restrict to a level: 省 / 市 / 自治州 …")
    p.add_argument("--doc", action="append", default=[], help="restrict to a document id")
    p.add_argument("--department", default="", help="restrict to clauses naming this department")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--batch", help="JSON lines file of {\"id\", \"question\"}; prints one JSON line per question")
    p.add_argument("--index", default=str(PROJECT / "index"))
    args = parser.parse_args(argv)
    try:
        from .records import Filters
        from .search import Searcher

        filters = Filters(
            regions=tuple(args.region), levels=tuple(args.level), doc_ids=tuple(args.doc), department=args.department
        )
        if args.batch:
            questions = _read_batch(args.batch)
            searcher = Searcher.open(args.index)
            for qid, question in questions:
                try:
                    out = result_json(searcher, qid, question, args.k, filters)
                except PlanSearchError as err:  # one bad question does not stop the batch
                    out = {"id": qid, "error": str(err), "answer": "", "abstain": True, "results": []}
                print(json.dumps(out, ensure_ascii=False), flush=True)
            return 0
        if args.question is None:
            raise PlanSearchError("give a question, or --batch FILE")
        from .query import validate

        validate(args.question)  # fail before loading the model
        searcher = Searcher.open(args.index)
        out = result_json(searcher, None, args.question, args.k, filters)
        if args.json:
            out.pop("id")
            print(json.dumps(out, ensure_ascii=False, indent=1))
        else:
            print_human(out)
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _read_batch(path: str) -> list[tuple[object, str]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise PlanSearchError(f"cannot read batch file {path}: {err}") from err
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            out.append((item.get("id"), str(item["question"])))
        except (json.JSONDecodeError, KeyError, AttributeError) as err:
            raise PlanSearchError(f"{path}:{n}: expected a JSON object with \"id\" and \"question\" ({err})") from err
    return out


if __name__ == "__main__":
    sys.exit(main())
