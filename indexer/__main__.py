"""Command line: ``python -m indexer outline FILE [--json]`` (and, later, ``build``)."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import PlanSearchError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Read plans and build the search index.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_outline = sub.add_parser("outline", help="print the heading tree, clauses and indicators of a plan")
    p_outline.add_argument("file")
    p_outline.add_argument("--json", action="store_true", help="print one JSON object (the outline contract)")
    args = parser.parse_args(argv)
    try:
        if args.command == "outline":
            from .outline import outline_json, outline_text
            from .read import read_plan

            plan = read_plan(args.file)
            if args.json:
                json.dump(outline_json(plan), sys.stdout, ensure_ascii=False, indent=1)
                sys.stdout.write("\n")
            else:
                print(outline_text(plan))
    except PlanSearchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: {getattr(err, 'filename', '') or args.file}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
