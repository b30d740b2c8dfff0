"""Command line: ``python -m retrieval search "问题" [--k 10] [--region …] [--json] [--batch FILE]``
``[--backend milvus --uri URI]``.

The JSON shapes are a contract other tools rely on: extend them, never rename.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
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
        "departments_labelled": c.departments.labelled(),
        "highlights": {"sentences": [list(s) for s in hl.sentences], "terms": [list(t) for t in hl.terms]},
        # extensions beyond the contract
        "short_citation": citation.short,
        "citation_official": citation.official,
        "citation_simplified": citation.simplified,
        "kind": c.kind,
        "part": c.part,
        "parts": c.parts,
        "dense_score": hit.dense_score,
        "dense_rank": hit.dense_rank,
        "lexical_score": hit.lexical_score,
        "lexical_rank": hit.lexical_rank,
        "reasons": list(hit.reasons),
    }


def result_json(searcher, qid, question: str, k: int, filters, llm=None) -> dict:
    """One question's output. ``llm`` (an LLMSettings, or None when no endpoint is configured) adds the
    model's checked answer as ``generated_answer`` (null without one)."""
    from .answer import answer, untranslated_note
    from .cite import cite
    from .filters import within_filters
    from .glossary import untranslated_words
    from .highlight import highlight

    pq = searcher.parse(question)
    hits = searcher.search(pq, k=k, filters=filters)
    ans = within_filters(searcher, pq, filters, answer(searcher, pq, hits))
    weights = searcher.term_weights()
    results = [hit_json(h, highlight(h.clause.text, pq.content_text, weights=weights), cite(h.clause, h.document)) for h in hits]
    out = {"id": qid, "answer": ans.text, "abstain": ans.abstain, "results": results}
    out.update({"figures": list(ans.figures), "answer_departments": list(ans.departments), "confidence": ans.confidence,
                "tentative": ans.tentative, "unstated": ans.unstated, "year_note": ans.year_note,
                "untranslated": untranslated_words(pq.raw, pq.places) if pq.lexical_trust is not None else [],
                "untranslated_note": untranslated_note(pq, ans)})
    out["generated_answer"] = None
    if llm is not None:
        from .llm import generate

        out["generated_answer"] = generate(llm, question, hits, ans, weights).to_json()
    return out


def print_human(out: dict) -> None:
    print(f"答：{out['answer']}")
    if out.get("year_note") and out["year_note"] != out["answer"]:  # an abstention's own words are not said twice
        print(f"（{out['year_note']}）")
    if out.get("tentative"):
        from .answer import TENTATIVE_NOTICE

        print(f"（{TENTATIVE_NOTICE}）")
    if out.get("untranslated_note"):
        print(f"（{out['untranslated_note']}）")
    generated = out.get("generated_answer")
    if generated:
        if generated["text"]:
            print(f"模型答复：{generated['text']}")
            for c in generated["citations"]:
                print(f"  [{c['n']}] {c['citation']}")
        if generated["notice"]:
            print(f"（{generated['notice']}）")
    print()
    for r in out["results"]:
        print(f"{r['rank']:>2}. {r['short_citation']}  ({r['score']:.4f}; dense #{r['dense_rank'] or '-'}, lexical #{r['lexical_rank'] or '-'})")
        print(f"    {r['citation']}")
        print(f"    {r['citation_official']}")
        if r["departments_labelled"]:
            print(f"    {'；'.join(r['departments_labelled'])}")
        text = r["text"].replace("\n", " ")
        print(f"    {text[:160]}{'…' if len(text) > 160 else ''}")


MAX_K = 100  # each retriever contributes its best 100 candidates: beyond that a list is only leftovers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description="Search the indexed plans.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="search clauses, answer and cite")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    p.add_argument("--k", type=int, default=10, help=f"results per question, 1 to {MAX_K} (more is capped at {MAX_K})")
    p.add_argument("--region", action="append", default=[], help="restrict to a region (repeatable)")
    p.add_argument("--level", action="append", default=[], help="restrict to a level: 省 / 市 / 自治州 …")
    p.add_argument("--doc", action="append", default=[], help="restrict to a document id")
    p.add_argument("--department", default="", help="restrict to clauses naming this department")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--batch", help="JSON lines file of {\"id\", \"question\"}; prints one JSON line per question")
    p.add_argument("--index", default=str(PROJECT / "index"))
    p.add_argument("--backend", choices=("files", "milvus"), help="files (the index folder, default) or milvus")
    p.add_argument("--uri", help="Milvus URI (http://host:19530, or a Milvus Lite file); implies --backend milvus")
    p.add_argument("--token", help="Milvus token; prefer PLANSEARCH_MILVUS_TOKEN")
    p.add_argument("--collection", help="Milvus collection (default plansearch)")
    args = parser.parse_args(argv)
    try:
        from .filters import resolve_filters
        from .llm.settings import LLMSettings
        from .records import Filters

        llm = LLMSettings.from_env()  # None: no endpoint configured, answers stay extractive

        if args.k < 1:
            raise PlanSearchError(f"--k must be at least 1 (got {args.k})")
        k = min(args.k, MAX_K)
        filters = Filters(
            regions=tuple(args.region), levels=tuple(args.level), doc_ids=tuple(args.doc), department=args.department
        )
        if args.batch:
            items = _read_batch(args.batch)
            searcher = open_searcher(args)
            filters = resolve_filters(searcher, filters)
            for item in items:
                print(dumps(batch_json(searcher, item, k, filters, llm)), flush=True)
            return 0
        if args.question is None:
            raise PlanSearchError("give a question, or --batch FILE")
        from .query import validate

        validate(args.question)  # fail before loading the model
        searcher = open_searcher(args)
        filters = resolve_filters(searcher, filters)  # 青海 → 青海省; a value naming nothing is an error
        out = result_json(searcher, None, args.question, k, filters, llm)
        if args.json:
            out.pop("id")
            print(dumps(out, indent=1))
        else:
            print_human(out)
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback (a batch's finished lines are printed)
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


def open_searcher(args):
    """The files backend's Searcher on ``--index``, or (``--backend milvus``, ``--uri``, or the settings'
    backend) the Milvus backend's, with the same verbs and results."""
    from indexer.milvus_export import MilvusSettings

    backend = args.backend or ("milvus" if args.uri else None)
    settings = MilvusSettings.from_env(backend=backend, uri=args.uri, token=args.token, collection=args.collection)
    if settings.backend == "milvus":
        from .milvus import MilvusSearcher

        return MilvusSearcher.open(settings)
    from .search import Searcher

    return Searcher.open(args.index)


def dumps(obj, indent: int | None = None) -> str:
    """JSON with Chinese as it is; a lone surrogate (an undecodable byte in an id) as its \\u escape, which
    reads back to the same string, instead of a UnicodeEncodeError on a UTF-8 stdout."""
    from .query import SURROGATES

    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass(frozen=True, slots=True)
class BatchItem:
    line: int  # 1-based line number in the batch file
    id: object  # the line's "id", as given (None when absent or unreadable)
    question: str = ""
    error: str = ""  # why the line cannot be searched ("" = it can)


def batch_json(searcher, item: BatchItem, k: int, filters, llm=None) -> dict:
    """The output line of one batch item: its results, or (a bad line, a bad question) its error, with the
    same fields empty; one bad line does not stop the batch."""
    error = item.error
    if not error:
        try:
            return result_json(searcher, item.id, item.question, k, filters, llm)
        except PlanSearchError as err:
            error = str(err)
    return {
        "id": item.id, "error": error, "answer": "", "abstain": True, "results": [], "line": item.line,
        "generated_answer": None,
    }


def _read_batch(path: str) -> list[BatchItem]:
    """The questions of a JSON lines file, one item per non-blank line; a bad line becomes an item with its
    error (reported in place of its results) so the rest of the batch still runs."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise PlanSearchError(f"cannot read batch file {path}: {err.strerror or err}") from err
    # Bytes that are not UTF-8 become lone surrogates, which the query side drops (like a shell argument).
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    out = []
    for n, line in enumerate(text.split("\n"), 1):  # not splitlines: JSON strings may hold U+2028
        if line.strip():
            out.append(_batch_item(n, line))
    return out


def _batch_item(n: int, line: str) -> BatchItem:
    expected = 'expected a JSON object with "id" and a string "question"'
    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        return BatchItem(n, None, error=f"line {n}: {expected} ({err})")
    if not isinstance(item, dict):
        return BatchItem(n, None, error=f"line {n}: {expected}, not {type(item).__name__}")
    question = item.get("question")
    if not isinstance(question, str):
        got = "no question" if "question" not in item else f"question is {json.dumps(question, ensure_ascii=False)[:40]}"
        return BatchItem(n, item.get("id"), error=f"line {n}: {expected} ({got})")
    return BatchItem(n, item.get("id"), question)


if __name__ == "__main__":
    sys.exit(main())
